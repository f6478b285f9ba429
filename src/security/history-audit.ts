import { historyHash } from '../applications/dossier';
import { DossierHead, HistoryRepository, HistoryRow } from '../applications/history.repository';

export type { DossierHead, HistoryRow } from '../applications/history.repository';

/**
 * Verification of the tamper-evident dossier history. Each `dossier_history`
 * row carries `hash = sha256(prev_hash | canonical content)` and the dossier
 * keeps the head of its chain (`history_seq`, `history_hash`). Recomputing
 * every chain finds a row altered after the fact (its hash no longer matches
 * its content), a row removed or inserted (a gap in `seq`, a `prev_hash` that
 * does not point at the previous row) and a dossier whose head was moved.
 *
 * `auditDossierChain` is pure; `auditHistory` walks a whole database in
 * batches through HistoryRepository (which reads the dossier heads and the
 * history rows), built on the data source, a transaction, or any
 * `query(sql, params) -> rows` function. `scripts/audit-verify.ts` is the
 * command line.
 */

export type FindingKind = 'hash' | 'link' | 'gap' | 'head';

export interface AuditFinding {
  kind: FindingKind;
  dossierId: string;
  dossierCode: string | null;
  /** The history row concerned (none for a `head` finding). */
  historyId: string | null;
  seq: number | null;
  detail: string;
}

/** Checks one dossier's chain; `rows` are all of its history rows, in any order. */
export function auditDossierChain(head: DossierHead, rows: HistoryRow[]): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const base = { dossierId: head.id, dossierCode: head.code ?? null };
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  let expectedSeq = 1;
  let previousHash: string | null = null;
  for (const row of sorted) {
    const at = { ...base, historyId: row.id, seq: row.seq };
    if (row.seq !== expectedSeq) {
      findings.push({ ...at, kind: 'gap', detail: `seq ${row.seq} where ${expectedSeq} was expected` });
    }
    if ((row.prev_hash ?? null) !== previousHash) {
      findings.push({ ...at, kind: 'link', detail: 'prev_hash does not match the hash of the previous row' });
    }
    const recomputed = historyHash(row.prev_hash, {
      dossierId: row.dossier_id,
      seq: row.seq,
      action: row.action,
      fromState: row.from_state,
      toState: row.to_state,
      actorId: row.actor_id,
      actorRole: row.actor_role,
      comment: row.comment,
      data: row.data,
      at: row.at instanceof Date ? row.at : new Date(row.at),
    });
    if (recomputed !== row.hash) {
      findings.push({
        ...at,
        kind: 'hash',
        detail: "hash does not match the row's content (altered after it was written)",
      });
    }
    expectedSeq = row.seq + 1;
    previousHash = row.hash;
  }
  const lastSeq = sorted.length ? sorted[sorted.length - 1].seq : 0;
  if (Number(head.history_seq) !== lastSeq || (head.history_hash ?? null) !== previousHash) {
    findings.push({
      ...base,
      historyId: null,
      seq: null,
      kind: 'head',
      detail: `dossier head (history_seq ${head.history_seq}) does not match its last history row (seq ${lastSeq})`,
    });
  }
  return findings;
}

/** A `query(sql, params) -> rows` function (a `pg` client's, a TypeORM DataSource's or QueryRunner's). */
export type QueryFn = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface AuditResult {
  dossiers: number;
  rows: number;
  /** How many findings in all (only the first `maxFindings` are kept in `findings`). */
  problems: number;
  findings: AuditFinding[];
}

/**
 * Audits every dossier, `batchSize` at a time in id order. For a consistent
 * picture while the portal keeps writing, run it inside one REPEATABLE READ
 * transaction (the command line does, with HistoryRepository.inSnapshot).
 */
export async function auditHistory(
  source: HistoryRepository | QueryFn,
  opts: { batchSize?: number; maxFindings?: number; onFinding?: (f: AuditFinding) => void } = {},
): Promise<AuditResult> {
  const batchSize = opts.batchSize ?? 500;
  const maxFindings = opts.maxFindings ?? 10_000;
  const history = source instanceof HistoryRepository ? source : new HistoryRepository({ query: source });
  const result: AuditResult = { dossiers: 0, rows: 0, problems: 0, findings: [] };
  let after: string | null = null;
  for (;;) {
    const heads = await history.heads(after, batchSize);
    if (heads.length === 0) break;
    const rows = await history.rowsOf(heads.map((h) => h.id));
    const byDossier = new Map<string, HistoryRow[]>();
    for (const r of rows) {
      const list = byDossier.get(r.dossier_id);
      if (list) list.push(r);
      else byDossier.set(r.dossier_id, [r]);
    }
    for (const head of heads) {
      for (const f of auditDossierChain(head, byDossier.get(head.id) ?? [])) {
        result.problems++;
        if (result.findings.length < maxFindings) result.findings.push(f);
        opts.onFinding?.(f);
      }
    }
    result.dossiers += heads.length;
    result.rows += rows.length;
    after = heads[heads.length - 1].id;
  }
  return result;
}

export function formatFinding(f: AuditFinding): string {
  const where = f.historyId ? `seq ${f.seq} (history ${f.historyId})` : 'head';
  return `${f.kind.padEnd(4)} dossier ${f.dossierId}${f.dossierCode ? ` [${f.dossierCode}]` : ''} ${where}: ${f.detail}`;
}

export function summaryLine(r: AuditResult): string {
  const checked = `${r.dossiers} dossier(s), ${r.rows} history row(s) checked`;
  return r.problems === 0
    ? `audit:verify: OK, ${checked}, every chain intact`
    : `audit:verify: FAILED, ${checked}, ${r.problems} problem(s) found`;
}
