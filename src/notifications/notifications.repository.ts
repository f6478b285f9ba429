import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { execute, selectRows } from '../database/query-result';

/** What a dossier message says: read across the dossier's tables when the message is built. */
export interface DossierMessageContext {
  code: string | null;
  state: string;
  dueAt: Date | null;
  agency_id: string;
  applicant_id: string;
  assignee_id: string | null;
  procedureName: string;
  comment: string | null;
  waybill: string | null;
  newDueAt: Date | null;
  /** The workflow's own label of `state` (Vietnamese), if it gives one. */
  workflowStateLabel: string | null;
  /** A supplementation request's items already asked for in an earlier round (its history entry's data). */
  repeatedItems: string[] | null;
}

/** One dossier message: at most one is ever sent per key (the unique constraint `notifications_once`). */
export interface DossierMessageKey {
  dossierId: string;
  event: string;
  channel: 'email' | 'sms';
  sourceId: string;
  recipientId: string;
}

/** What became of one send: `error` null when the provider took it. */
export interface MessageOutcome {
  id: string;
  providerMessageId: string | null;
  error: string | null;
}

/** A message about a dossier, as the clerk's dossier page lists it (no address, no text: the event and its fate). */
export interface DossierMessage {
  id: string;
  event: string;
  channel: string;
  status: string;
  attempts: number;
  recipientRole: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface UndeliveredMessage {
  id: string;
  dossierId: string | null;
  event: string;
  channel: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

/**
 * The only place that reads or writes `notifications`: one row per (dossier or account event, source, channel,
 * recipient), claimed before sending so a message is never sent twice.
 */
@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The context of a dossier message, in one read: the dossier, its procedure, the history entry or apology
   * (`sourceId`) and its parcel. The state is the one the history entry moved to (else the dossier's), with the
   * workflow's own label of it. A read-only view over other modules' tables, kept as one statement (one round
   * trip per job); nothing here writes them.
   */
  async dossierContext(dossierId: string, sourceId: string): Promise<DossierMessageContext | undefined> {
    const [ctx] = await selectRows<DossierMessageContext>(
      this.db,
      `SELECT d.code, coalesce(h.to_state, d.state) AS state, d.due_at AS "dueAt", d.agency_id, d.applicant_id, d.assignee_id, p.name AS "procedureName",
              coalesce(h.comment, (SELECT a.reason FROM dossier_apologies a WHERE a.id = $2)) AS comment,
              (SELECT s.waybill FROM shipments s WHERE s.dossier_id = d.id) AS waybill,
              (SELECT a.new_due_at FROM dossier_apologies a WHERE a.id = $2) AS "newDueAt",
              (SELECT s->>'label' FROM procedure_versions v, jsonb_array_elements(v.workflow->'states') s
                WHERE v.id = d.procedure_version_id AND s->>'key' = coalesce(h.to_state, d.state) LIMIT 1) AS "workflowStateLabel",
              h.data->'repeatedItems' AS "repeatedItems"
         FROM dossiers d JOIN procedures p ON p.id = d.procedure_id
         LEFT JOIN dossier_history h ON h.id = $2
        WHERE d.id = $1`,
      [dossierId, sourceId],
    );
    return ctx;
  }

  /**
   * Claims dossier messages, in one statement (one commit) for all of them: for each key its row's id (now
   * `sending`, attempts counted), or undefined when that message was already sent. A key given twice gets the
   * same id. Rows are written in key order, so two claims over the same keys take their locks in the same order.
   */
  async claimDossierMessages(keys: DossierMessageKey[]): Promise<(string | undefined)[]> {
    // uuids as Postgres prints them (lower case), so an id the caller wrote otherwise still finds its row.
    const keyOf = (k: DossierMessageKey) =>
      `${k.dossierId.toLowerCase()}|${k.event}|${k.channel}|${k.sourceId.toLowerCase()}|${k.recipientId.toLowerCase()}`;
    const unique = [...new Map(keys.map((k) => [keyOf(k), k])).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, k]) => k);
    const rows = await selectRows<DossierMessageKey & { id: string }>(
      this.db,
      `INSERT INTO notifications (dossier_id, event, channel, source_id, recipient_id, status, attempts)
       SELECT k.dossier_id, k.event, k.channel, k.source_id, k.recipient_id, 'sending', 1
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[]) WITH ORDINALITY
              AS k(dossier_id, event, channel, source_id, recipient_id, n)
        ORDER BY k.n
       ON CONFLICT ON CONSTRAINT notifications_once
       DO UPDATE SET attempts = notifications.attempts + 1, status = 'sending' WHERE notifications.status <> 'sent'
       RETURNING id, dossier_id AS "dossierId", event, channel, source_id AS "sourceId", recipient_id AS "recipientId"`,
      [
        unique.map((k) => k.dossierId),
        unique.map((k) => k.event),
        unique.map((k) => k.channel),
        unique.map((k) => k.sourceId),
        unique.map((k) => k.recipientId),
      ],
    );
    const claimed = new Map(rows.map((r) => [keyOf(r), r.id]));
    return keys.map((k) => claimed.get(keyOf(k)));
  }

  /**
   * Records what became of messages, in one statement (one commit) for all of them: `sent` with the provider's
   * id, or `failed` with the error. A row already `sent` (by another delivery of the same job) stays sent.
   */
  async recordOutcomes(outcomes: MessageOutcome[]): Promise<void> {
    // One outcome per row, a success over a failure (an UPDATE ... FROM takes one of duplicate matches).
    const byId = new Map<string, MessageOutcome>();
    for (const o of outcomes) if (!byId.has(o.id) || o.error === null) byId.set(o.id, o);
    const unique = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await execute(
      this.db,
      `UPDATE notifications n
          SET status = CASE WHEN o.error IS NULL THEN 'sent' ELSE 'failed' END,
              sent_at = CASE WHEN o.error IS NULL THEN now() ELSE n.sent_at END,
              provider_message_id = coalesce(o.provider_message_id, n.provider_message_id),
              last_error = o.error
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS o(id, provider_message_id, error)
        WHERE n.id = o.id AND (o.error IS NULL OR n.status <> 'sent')`,
      [unique.map((o) => o.id), unique.map((o) => o.providerMessageId), unique.map((o) => o.error)],
    );
  }

  /** Claims an account message (no dossier), by email; its id, or undefined when it was already sent. */
  async claimAccountMessage(event: string, sourceId: string, recipientId: string): Promise<string | undefined> {
    const [claimed] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO notifications (dossier_id, event, channel, source_id, recipient_id, status, attempts)
       VALUES (NULL, $1, 'email', $2, $3, 'sending', 1)
       ON CONFLICT (event, channel, source_id, recipient_id) WHERE dossier_id IS NULL
       DO UPDATE SET attempts = notifications.attempts + 1, status = 'sending' WHERE notifications.status <> 'sent'
       RETURNING id`,
      [event, sourceId, recipientId],
    );
    return claimed?.id;
  }

  async markSent(id: string, providerMessageId: string): Promise<void> {
    await execute(
      this.db,
      `UPDATE notifications SET status = 'sent', sent_at = now(), provider_message_id = $2, last_error = NULL WHERE id = $1`,
      [id, providerMessageId],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await execute(this.db, `UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1`, [id, error]);
  }

  /** Messages with this status, newest first (ids and events only: no personal data). */
  list(status: string, limit: number): Promise<UndeliveredMessage[]> {
    return selectRows<UndeliveredMessage>(
      this.db,
      `SELECT id, dossier_id AS "dossierId", event, channel, status, attempts, last_error AS "lastError", created_at AS "createdAt"
         FROM notifications WHERE status = $1 ORDER BY created_at DESC LIMIT $2`,
      [status, limit],
    );
  }

  /** The messages about one dossier, oldest first (the unique key `notifications_once` leads with dossier_id). */
  forDossier(dossierId: string): Promise<DossierMessage[]> {
    return selectRows<DossierMessage>(
      this.db,
      `SELECT n.id, n.event, n.channel, n.status, n.attempts, a.role AS "recipientRole",
              n.created_at AS "createdAt", n.sent_at AS "sentAt"
         FROM notifications n LEFT JOIN accounts a ON a.id = n.recipient_id
        WHERE n.dossier_id = $1
        ORDER BY n.created_at, n.id`,
      [dossierId],
    );
  }
}
