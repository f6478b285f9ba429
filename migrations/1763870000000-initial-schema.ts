import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lifecycle schema: agencies and staff, citizens, procedures with immutable
 * published versions, dossiers with their history, documents, per-agency daily
 * code counters, idempotency keys, the outbox and notification records.
 * Unique constraints state the invariants the code relies on.
 */
export class InitialSchema1763870000000 implements MigrationInterface {
  name = 'InitialSchema1763870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS citext`);

    await q.query(`
      CREATE TABLE agencies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        calendar jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email citext NOT NULL UNIQUE,
        phone text UNIQUE,
        password_hash text NOT NULL,
        full_name text NOT NULL,
        id_number text UNIQUE,
        role text NOT NULL CHECK (role IN ('citizen','clerk','supervisor','admin')),
        agency_id uuid REFERENCES agencies(id),
        locale text NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi','en')),
        failed_logins int NOT NULL DEFAULT 0,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT staff_have_agency CHECK ((role IN ('clerk','supervisor')) = (agency_id IS NOT NULL)),
        CONSTRAINT citizens_have_id_number CHECK (role <> 'citizen' OR id_number IS NOT NULL)
      )`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);

    await q.query(`
      CREATE TABLE procedures (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        agency_id uuid NOT NULL REFERENCES agencies(id),
        level text NOT NULL CHECK (level IN ('full','partial')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE procedure_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        procedure_id uuid NOT NULL REFERENCES procedures(id),
        version int NOT NULL CHECK (version > 0),
        form_schema jsonb NOT NULL,
        required_documents jsonb NOT NULL,
        fees jsonb NOT NULL,
        fee_timing text NOT NULL CHECK (fee_timing IN ('before_receipt','after_approval','exempt')),
        processing_days int NOT NULL CHECK (processing_days > 0),
        delivery_options text[] NOT NULL,
        workflow jsonb NOT NULL,
        published_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (procedure_id, version)
      )`);
    // A published version never changes: the database refuses it, whatever the code does.
    await q.query(`
      CREATE FUNCTION procedure_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.published_at IS NOT NULL THEN
          RAISE EXCEPTION 'procedure version % is published and immutable', OLD.id USING ERRCODE = 'P0001';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    await q.query(`
      CREATE TRIGGER procedure_versions_immutable BEFORE UPDATE OR DELETE ON procedure_versions
      FOR EACH ROW EXECUTE FUNCTION procedure_versions_immutable()`);

    await q.query(`
      CREATE TABLE dossiers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text UNIQUE,
        agency_id uuid NOT NULL REFERENCES agencies(id),
        procedure_id uuid NOT NULL REFERENCES procedures(id),
        procedure_version_id uuid NOT NULL REFERENCES procedure_versions(id),
        applicant_id uuid NOT NULL REFERENCES accounts(id),
        assignee_id uuid REFERENCES accounts(id),
        state text NOT NULL,
        channel text NOT NULL DEFAULT 'online' CHECK (channel IN ('online','counter')),
        form_data jsonb NOT NULL DEFAULT '{}',
        delivery jsonb NOT NULL DEFAULT '{"method":"online"}',
        version int NOT NULL DEFAULT 1,
        submitted_at timestamptz,
        received_at timestamptz,
        due_at timestamptz,
        paused_at timestamptz,
        paused_ms bigint NOT NULL DEFAULT 0,
        finished_at timestamptz,
        -- The queue's sort key: the due date once received, the submission time before; NULL for drafts and terminal states.
        attention_at timestamptz,
        -- Head of the hash-chained history: the next entry links to it without reading the history.
        history_seq int NOT NULL DEFAULT 0,
        history_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dossiers_applicant ON dossiers (applicant_id, created_at DESC, id)`);
    await q.query(
      `CREATE INDEX dossiers_queue ON dossiers (agency_id, attention_at, id) WHERE attention_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX dossiers_queue_state ON dossiers (agency_id, state, attention_at, id) WHERE attention_at IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE dossier_code_counters (
        agency_id uuid NOT NULL REFERENCES agencies(id),
        day date NOT NULL,
        last_value int NOT NULL,
        PRIMARY KEY (agency_id, day)
      )`);

    await q.query(`
      CREATE TABLE dossier_history (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        seq int NOT NULL,
        action text NOT NULL,
        from_state text,
        to_state text NOT NULL,
        actor_id uuid REFERENCES accounts(id),
        actor_role text NOT NULL,
        comment text,
        data jsonb,
        at timestamptz NOT NULL DEFAULT now(),
        prev_hash text,
        hash text NOT NULL,
        UNIQUE (dossier_id, seq)
      )`);

    await q.query(`
      CREATE TABLE dossier_documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        document_key text NOT NULL,
        file_name text NOT NULL,
        content_type text NOT NULL,
        size_bytes int NOT NULL,
        sha256 text NOT NULL,
        storage_key text NOT NULL,
        uploaded_by uuid NOT NULL REFERENCES accounts(id),
        uploaded_role text NOT NULL,
        history_id uuid REFERENCES dossier_history(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier_id, document_key)`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        account_id uuid NOT NULL REFERENCES accounts(id),
        key text NOT NULL,
        request_hash text NOT NULL,
        status int NOT NULL,
        body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, key)
      )`);

    await q.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        queue text NOT NULL,
        job_name text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz,
        attempts int NOT NULL DEFAULT 0,
        last_error text
      )`);
    await q.query(`CREATE INDEX outbox_pending ON outbox (created_at) WHERE dispatched_at IS NULL`);
    // Wakes the relay at commit; polling remains the fallback.
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('outbox', ''); RETURN NULL; END $$`);
    await q.query(
      `CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`,
    );

    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dossier_id uuid NOT NULL REFERENCES dossiers(id),
        event text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('email','sms')),
        source_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('sending','sent','failed')),
        attempts int NOT NULL DEFAULT 0,
        provider_message_id text,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (dossier_id, event, channel, source_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'notifications',
      'outbox',
      'idempotency_keys',
      'dossier_documents',
      'dossier_history',
      'dossier_code_counters',
      'dossiers',
      'procedure_versions',
      'procedures',
      'refresh_tokens',
      'accounts',
      'agencies',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS procedure_versions_immutable`);
    await q.query(`DROP FUNCTION IF EXISTS outbox_notify`);
  }
}
