import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Results and their delivery, deadlines, apologies, ratings, and
 * notifications addressed to anyone (citizen or staff) on any channel.
 */
export class Delivery1763890000000 implements MigrationInterface {
  name = 'Delivery1763890000000';

  async up(q: QueryRunner): Promise<void> {
    // A result template per version: title, paragraphs with {{placeholders}}, signer title.
    await q.query(`ALTER TABLE procedure_versions ADD COLUMN result_template jsonb`);

    await q.query(`
      CREATE TABLE dossier_results (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        status text NOT NULL CHECK (status IN ('staged','generating','issued','discarded')),
        source text NOT NULL CHECK (source IN ('uploaded','generated')),
        number text,
        verification_code text UNIQUE,
        storage_key text,
        sha256 text,
        size_bytes int,
        signer_name text,
        signer_title text,
        decision text,
        uploaded_by uuid REFERENCES accounts(id),
        issued_by uuid REFERENCES accounts(id),
        issued_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One issued (or being issued) result per dossier; one staged upload waiting at a time.
    await q.query(
      `CREATE UNIQUE INDEX dossier_results_one_issued ON dossier_results (dossier_id) WHERE status IN ('generating','issued')`,
    );
    await q.query(
      `CREATE UNIQUE INDEX dossier_results_one_staged ON dossier_results (dossier_id) WHERE status = 'staged'`,
    );
    await q.query(`CREATE SEQUENCE result_number_seq`);

    await q.query(`
      CREATE TABLE result_downloads (
        id bigserial PRIMARY KEY,
        result_id uuid NOT NULL REFERENCES dossier_results(id),
        account_id uuid REFERENCES accounts(id),
        via text NOT NULL CHECK (via IN ('owner','staff','link')),
        ip text,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX result_downloads_result ON result_downloads (result_id, at)`);

    await q.query(`
      CREATE TABLE shipments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL UNIQUE REFERENCES dossiers(id),
        provider text NOT NULL,
        waybill text NOT NULL,
        status text NOT NULL CHECK (status IN ('created','picked_up','in_transit','delivered','returned')),
        fee_vnd int,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, waybill)
      )`);
    await q.query(`
      CREATE TABLE shipment_events (
        id bigserial PRIMARY KEY,
        shipment_id uuid NOT NULL REFERENCES shipments(id),
        event_id text NOT NULL,
        status text NOT NULL,
        applied boolean NOT NULL,
        raw jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (shipment_id, event_id)
      )`);

    // The postal sandbox operator's own ledger (development and tests only).
    await q.query(`
      CREATE TABLE sandbox_postal_shipments (
        waybill text PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        recipient jsonb NOT NULL,
        status text NOT NULL,
        callback_url text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE SEQUENCE sandbox_postal_waybill_seq START 100000`);

    await q.query(`
      CREATE TABLE dossier_apologies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        reason text NOT NULL,
        new_due_at timestamptz NOT NULL,
        issued_by uuid NOT NULL REFERENCES accounts(id),
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dossier_apologies_dossier ON dossier_apologies (dossier_id, at)`);

    await q.query(`
      CREATE TABLE dossier_ratings (
        dossier_id uuid PRIMARY KEY REFERENCES dossiers(id),
        score int NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment text,
        at timestamptz NOT NULL DEFAULT now()
      )`);

    // Deadline standing, kept by the sweep job: what staff were last warned about.
    await q.query(
      `ALTER TABLE dossiers ADD COLUMN deadline_alert text CHECK (deadline_alert IN ('due_soon','overdue'))`,
    );
    await q.query(
      `CREATE INDEX dossiers_open_due ON dossiers (due_at) WHERE finished_at IS NULL AND due_at IS NOT NULL`,
    );
    await q.query(`CREATE INDEX dossiers_finished ON dossiers (agency_id, finished_at) WHERE finished_at IS NOT NULL`);
    await q.query(`CREATE INDEX dossiers_received ON dossiers (agency_id, received_at) WHERE received_at IS NOT NULL`);

    // Notifications: to any account, on any channel, once per (dossier, event, source, channel, recipient).
    await q.query(`ALTER TABLE notifications ADD COLUMN recipient_id uuid REFERENCES accounts(id)`);
    await q.query(`UPDATE notifications n SET recipient_id = d.applicant_id FROM dossiers d WHERE d.id = n.dossier_id`);
    await q.query(`ALTER TABLE notifications ALTER COLUMN recipient_id SET NOT NULL`);
    await q.query(`ALTER TABLE notifications DROP CONSTRAINT notifications_dossier_id_event_channel_source_id_key`);
    await q.query(
      `ALTER TABLE notifications ADD CONSTRAINT notifications_once UNIQUE (dossier_id, event, channel, source_id, recipient_id)`,
    );
    await q.query(`CREATE INDEX notifications_failed ON notifications (created_at) WHERE status = 'failed'`);
    await q.query(`ALTER TABLE accounts ADD COLUMN notify_sms boolean NOT NULL DEFAULT true`);

    // The SMS sandbox gateway's outbox of "sent" messages (development and tests only).
    await q.query(`
      CREATE TABLE sandbox_sms_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_ref text NOT NULL UNIQUE,
        phone text NOT NULL,
        text text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE IF EXISTS sandbox_sms_messages, dossier_ratings, dossier_apologies, sandbox_postal_shipments, shipment_events, shipments, result_downloads, dossier_results`,
    );
    await q.query(`DROP SEQUENCE IF EXISTS result_number_seq, sandbox_postal_waybill_seq`);
    await q.query(`ALTER TABLE dossiers DROP COLUMN IF EXISTS deadline_alert`);
    await q.query(`ALTER TABLE accounts DROP COLUMN IF EXISTS notify_sms`);
    await q.query(`ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_once`);
    await q.query(`ALTER TABLE notifications DROP COLUMN IF EXISTS recipient_id`);
    await q.query(
      `ALTER TABLE notifications ADD CONSTRAINT notifications_dossier_id_event_channel_source_id_key UNIQUE (dossier_id, event, channel, source_id)`,
    );
    await q.query(`ALTER TABLE procedure_versions DROP COLUMN IF EXISTS result_template`);
  }
}
