import type { Pool } from 'pg';
import { historyHash } from '../../../src/applications/dossier';
import type { SmsSink, SmtpSink } from './sinks';

/**
 * What the fault tests check after the dust settles, straight from the
 * database: every dossier is whole (fully submitted, or an untouched draft),
 * its history chain holds, and every notification went out once.
 */

export interface DossierAudit {
  total: number;
  submitted: string[];
  drafts: string[];
  problems: string[];
}

/**
 * Every dossier of the given ids (or all): either fully submitted (state
 * `submitted` or later, a code, `submitted_at`, exactly one `submit` history
 * entry, exactly one outbox row for it, exactly one idempotency key whose
 * stored answer names this dossier and its code) or a draft with none of
 * that. And the history chain of each is whole.
 */
export async function auditDossiers(db: Pool, ids?: string[]): Promise<DossierAudit> {
  const rows: any[] = (
    await db.query(
      `SELECT d.id, d.state, d.code, d.submitted_at, d.history_seq, d.history_hash,
            (SELECT count(*)::int FROM dossier_history h WHERE h.dossier_id = d.id AND h.action = 'submit') AS submit_entries,
            (SELECT h.id FROM dossier_history h WHERE h.dossier_id = d.id AND h.action = 'submit' LIMIT 1) AS submit_entry,
            (SELECT count(*)::int FROM outbox o WHERE o.payload->>'dossierId' = d.id::text AND o.payload->>'event' = 'submit') AS submit_outbox,
            (SELECT count(*)::int FROM outbox o, dossier_history h WHERE h.dossier_id = d.id AND h.action = 'submit'
                AND o.payload->>'sourceId' = h.id::text) AS submit_outbox_linked,
            (SELECT count(*)::int FROM idempotency_keys k WHERE k.body->>'id' = d.id::text) AS idem_keys,
            (SELECT count(*)::int FROM idempotency_keys k WHERE k.body->>'id' = d.id::text AND k.body->>'code' = d.code AND k.status = 200) AS idem_keys_matching
       FROM dossiers d
      WHERE ($1::uuid[] IS NULL OR d.id = ANY($1::uuid[]))`,
      [ids ?? null],
    )
  ).rows;
  const out: DossierAudit = { total: rows.length, submitted: [], drafts: [], problems: [] };
  for (const r of rows) {
    if (r.state === 'draft') {
      out.drafts.push(r.id);
      const extra = [
        r.code && `code ${r.code}`,
        r.submitted_at && 'submitted_at',
        r.submit_entries && `${r.submit_entries} submit entries`,
        r.submit_outbox && `${r.submit_outbox} submit outbox rows`,
        r.idem_keys && `${r.idem_keys} idempotency keys`,
      ].filter(Boolean);
      if (extra.length) out.problems.push(`draft ${r.id} is half-submitted: ${extra.join(', ')}`);
    } else {
      out.submitted.push(r.id);
      const missing = [
        !r.code && 'no code',
        !r.submitted_at && 'no submitted_at',
        r.submit_entries !== 1 && `${r.submit_entries} submit entries`,
        r.submit_outbox !== 1 && `${r.submit_outbox} submit outbox rows`,
        r.submit_outbox_linked !== 1 && 'outbox row not linked to the submit entry',
        r.idem_keys !== 1 && `${r.idem_keys} idempotency keys`,
        r.idem_keys === 1 && r.idem_keys_matching !== 1 && 'idempotency answer does not match the dossier',
      ].filter(Boolean);
      if (missing.length) out.problems.push(`dossier ${r.id} (${r.state}) is not whole: ${missing.join(', ')}`);
    }
  }
  out.problems.push(
    ...(await verifyChains(
      db,
      rows.map((r) => r.id),
    )),
  );
  return out;
}

/**
 * The history of each dossier: seq 1..n without gaps, each entry's prev_hash
 * is the previous entry's hash, the dossier's head (history_seq, history_hash)
 * is the last entry, and each hash recomputes from the stored entry.
 */
export async function verifyChains(db: Pool, ids: string[]): Promise<string[]> {
  const problems: string[] = [];
  if (ids.length === 0) return problems;
  const entries: any[] = (
    await db.query(
      `SELECT h.*, d.history_seq AS head_seq, d.history_hash AS head_hash FROM dossier_history h JOIN dossiers d ON d.id = h.dossier_id
      WHERE h.dossier_id = ANY($1::uuid[]) ORDER BY h.dossier_id, h.seq`,
      [ids],
    )
  ).rows;
  const byDossier = new Map<string, any[]>();
  for (const e of entries) byDossier.set(e.dossier_id, [...(byDossier.get(e.dossier_id) ?? []), e]);
  for (const id of ids) {
    const chain = byDossier.get(id) ?? [];
    if (chain.length === 0) {
      problems.push(`dossier ${id}: no history`);
      continue;
    }
    let prev: string | null = null;
    chain.forEach((e, i) => {
      if (e.seq !== i + 1) problems.push(`dossier ${id}: history seq ${e.seq} at position ${i + 1}`);
      if (e.prev_hash !== prev)
        problems.push(`dossier ${id}: entry ${e.seq} (${e.action}) prev_hash does not link to entry ${e.seq - 1}`);
      const recomputed = historyHash(prev, {
        dossierId: e.dossier_id,
        seq: e.seq,
        action: e.action,
        fromState: e.from_state,
        toState: e.to_state,
        actorId: e.actor_id,
        actorRole: e.actor_role,
        comment: e.comment,
        data: e.data,
        at: e.at,
      });
      if (recomputed !== e.hash)
        problems.push(`dossier ${id}: entry ${e.seq} (${e.action}) hash does not recompute from the stored entry`);
      prev = e.hash;
    });
    const last = chain[chain.length - 1];
    if (last.head_seq !== last.seq || last.head_hash !== last.hash) {
      problems.push(`dossier ${id}: head (${last.head_seq}) is not the last history entry (${last.seq})`);
    }
  }
  return problems;
}

export interface NotificationAudit {
  expected: number;
  /** (dossier, event, channel) with exactly one row, status sent. */
  sent: number;
  problems: string[];
  /** Messages the relay received more than once under the same Message-ID / client reference (a crash between send and record). */
  emailRepeats: number;
  smsRepeats: number;
  emailsReceived: number;
  smsReceived: number;
}

/**
 * For each dossier and event: exactly one `notifications` row per channel,
 * `sent`; the mail sink got exactly that message (one Message-ID, the row's
 * id) and the SMS sink that client reference; nothing else for them.
 * Repeats of the same Message-ID are counted separately (a receiver drops
 * them by Message-ID; the SMS gateway by client reference).
 */
export async function auditNotifications(
  db: Pool,
  smtp: SmtpSink,
  sms: SmsSink | null,
  dossierIds: string[],
  event: string,
): Promise<NotificationAudit> {
  const rows: any[] = (
    await db.query(
      `SELECT id, dossier_id, channel, status, attempts, last_error FROM notifications WHERE dossier_id = ANY($1::uuid[]) AND event = $2`,
      [dossierIds, event],
    )
  ).rows;
  const email = smtp.copiesByNotification();
  const text = sms?.copiesByNotification() ?? new Map<string, number>();
  const channels = sms ? ['email', 'sms'] : ['email'];
  const out: NotificationAudit = {
    expected: dossierIds.length * channels.length,
    sent: 0,
    problems: [],
    emailRepeats: 0,
    smsRepeats: 0,
    emailsReceived: 0,
    smsReceived: 0,
  };
  const key = (d: string, c: string) => `${d}/${c}`;
  const byKey = new Map<string, any[]>();
  for (const r of rows)
    byKey.set(key(r.dossier_id, r.channel), [...(byKey.get(key(r.dossier_id, r.channel)) ?? []), r]);
  for (const d of dossierIds) {
    for (const c of channels) {
      const list = byKey.get(key(d, c)) ?? [];
      if (list.length !== 1) {
        out.problems.push(`dossier ${d}: ${list.length} ${c} notification rows for '${event}'`);
        continue;
      }
      const [r] = list;
      const copies = (c === 'email' ? email : text).get(r.id) ?? 0;
      if (r.status !== 'sent')
        out.problems.push(`dossier ${d}: ${c} notification ${r.id} is '${r.status}' (${r.last_error ?? 'no error'})`);
      if (copies === 0) out.problems.push(`dossier ${d}: ${c} notification ${r.id} never reached the ${c} sink`);
      if (r.status === 'sent' && copies >= 1) out.sent++;
      if (copies > 1) {
        if (c === 'email') out.emailRepeats += copies - 1;
        else out.smsRepeats += copies - 1;
      }
    }
  }
  // Nothing reached the sinks that the table does not know about.
  const known = new Set(rows.map((r) => r.id));
  const all: any[] = (await db.query(`SELECT id FROM notifications`)).rows;
  const everyRow = new Set(all.map((r) => r.id));
  for (const id of email.keys())
    if (!everyRow.has(id)) out.problems.push(`an email with Message-ID ${id} matches no notification row`);
  for (const id of text.keys())
    if (!everyRow.has(id)) out.problems.push(`an SMS with client reference ${id} matches no notification row`);
  out.emailsReceived = [...email.entries()].filter(([id]) => known.has(id)).reduce((n, [, v]) => n + v, 0);
  out.smsReceived = [...text.entries()].filter(([id]) => known.has(id)).reduce((n, [, v]) => n + v, 0);
  return out;
}

/** Count of (dossier, event) rows sent on every channel expected: for waiting until the worker caught up. */
export async function sentCount(db: Pool, dossierIds: string[], event: string, channels = 2): Promise<number> {
  const [r] = (
    await db.query(
      `SELECT count(*)::int AS n FROM (
       SELECT dossier_id FROM notifications WHERE dossier_id = ANY($1::uuid[]) AND event = $2 AND status = 'sent'
        GROUP BY dossier_id HAVING count(*) >= $3) x`,
      [dossierIds, event, channels],
    )
  ).rows;
  return r.n;
}

export interface DossierMessagesAudit {
  /** Distinct (dossier, event, source, audience) the outbox asked to announce. */
  events: number;
  /** Notification rows of these dossiers, and how many reached their sink. */
  rows: number;
  delivered: number;
  problems: string[];
  emailRepeats: number;
  smsRepeats: number;
}

/**
 * Every announcement (`dossier-event` outbox row) of these dossiers, whatever the event: to the citizen, exactly
 * one email and one SMS row for (dossier, event, source), both sent; to staff, every row sent. Every sent row
 * reached its sink (the mail relay by Message-ID, the SMS gateway by client reference); extra copies under the
 * same id are counted as repeats (a sender killed between the relay's answer and its record); nothing reached a
 * sink that no row knows. An outbox row may repeat an announcement (a re-run job): the rows' unique key makes it one
 * message.
 */
export async function auditDossierMessages(
  db: Pool,
  smtp: SmtpSink,
  sms: SmsSink,
  dossierIds: string[],
): Promise<DossierMessagesAudit> {
  const asked: any[] = (
    await db.query(
      `SELECT DISTINCT o.payload->>'dossierId' AS dossier_id, o.payload->>'event' AS event, o.payload->>'sourceId' AS source_id,
              coalesce(o.payload->>'audience', 'citizen') AS audience, d.applicant_id
         FROM outbox o JOIN dossiers d ON d.id::text = o.payload->>'dossierId'
        WHERE o.job_name = 'dossier-event' AND o.payload->>'dossierId' = ANY($1::text[])`,
      [dossierIds],
    )
  ).rows;
  const rows: any[] = (
    await db.query(
      `SELECT id, dossier_id, event, source_id, recipient_id, channel, status, last_error FROM notifications
        WHERE dossier_id = ANY($1::uuid[])`,
      [dossierIds],
    )
  ).rows;
  const email = smtp.copiesByNotification();
  const text = sms.copiesByNotification();
  const out: DossierMessagesAudit = {
    events: asked.length,
    rows: rows.length,
    delivered: 0,
    problems: [],
    emailRepeats: 0,
    smsRepeats: 0,
  };
  for (const a of asked) {
    const of = rows.filter((r) => r.dossier_id === a.dossier_id && r.event === a.event && r.source_id === a.source_id);
    const what = `dossier ${a.dossier_id} '${a.event}' (${a.audience})`;
    if (a.audience === 'citizen') {
      for (const channel of ['email', 'sms']) {
        const mine = of.filter((r) => r.recipient_id === a.applicant_id && r.channel === channel);
        if (mine.length !== 1) out.problems.push(`${what}: ${mine.length} ${channel} rows to the citizen`);
      }
    } else if (of.filter((r) => r.recipient_id !== a.applicant_id).length === 0) {
      out.problems.push(`${what}: no message to staff`);
    }
  }
  for (const r of rows) {
    const copies = (r.channel === 'email' ? email : text).get(r.id) ?? 0;
    if (r.status !== 'sent')
      out.problems.push(`${r.channel} ${r.id} ('${r.event}') is '${r.status}' (${r.last_error})`);
    else if (copies === 0) out.problems.push(`${r.channel} ${r.id} ('${r.event}') is sent but never reached the sink`);
    if (copies >= 1) out.delivered++;
    if (copies > 1) {
      if (r.channel === 'email') out.emailRepeats += copies - 1;
      else out.smsRepeats += copies - 1;
    }
  }
  const everyRow = new Set((await db.query(`SELECT id FROM notifications`)).rows.map((r) => r.id));
  for (const id of email.keys()) if (!everyRow.has(id)) out.problems.push(`an email ${id} matches no notification row`);
  for (const id of text.keys()) if (!everyRow.has(id)) out.problems.push(`an SMS ${id} matches no notification row`);
  return out;
}
