import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { modify, selectOne } from '../database/query-result';
import { nextNumberCte, numberPrefix, vnYear } from '../database/document-numbers.repository';

export type ResultStatus = 'staged' | 'generating' | 'issued' | 'discarded';
export type DownloadVia = 'owner' | 'staff' | 'link';

/** What a procedure version may say about the result it issues; `{{placeholders}}` are filled in. */
export interface ResultTemplate {
  title?: string;
  paragraphs?: string[];
  /** Defaults to `{{approver.title}}`; placeholders allowed (e.g. `KT. Giám đốc\n{{approver.title}}`). */
  signerTitle?: string;
}

/** The approval recorded in a dossier's history (rule 9): who approved, and the finding they wrote. */
export interface ApprovalRecord {
  approver?: { id: string; name: string; title: string | null };
  finding?: string;
}

export interface StagedResult {
  id: string;
  status: 'staged';
  sha256: string;
  sizeBytes: number;
  createdAt: Date;
}

export interface ResultSummary {
  verificationCode: string;
  sha256: string | null;
  issuedAt: Date;
  number: string;
  status: 'generating' | 'issued';
}

/** A result with everything its document shows (dossier, citizen, agency, procedure, template, signer). */
export interface ResultToRender {
  id: string;
  dossier_id: string;
  status: ResultStatus;
  number: string;
  verification_code: string;
  sha256: string | null;
  decision: string | null;
  issued_at: Date;
  dossier_code: string;
  form_data: Record<string, unknown> | null;
  citizen_name: string;
  agency_name: string;
  agency_code: string;
  procedure_name: string;
  result_template: ResultTemplate | null;
  signer_full_name: string | null;
  signer_title: string | null;
  /** The latest approval before the result (history data), if the workflow has one. */
  approval: ApprovalRecord | null;
}

/** Who signed an issued result (its PDF signature): an organisation and a certificate name, never a citizen's data. */
export interface ResultSignature {
  organization: string;
  name: string;
  serial: string;
  signedAt: string | null;
}

export interface VerifiedResult {
  sha256: string;
  issuedAt: Date;
  signature: ResultSignature | null;
  agencyName: string;
  procedureName: string;
}

/**
 * The number of a result, `000123/2026/KQ`: per agency and per year (Vietnam time of `$1`, issued at), from the
 * agency's counter (src/database/document-numbers.repository.ts). `c` is the counter's row.
 */
const RESULT_NUMBER = `${numberPrefix('c')} || '/KQ'`;

/** The unique index that keeps one issued (or being issued) result per dossier. */
const ONE_ISSUED = 'dossier_results_one_issued';

/**
 * The results aggregate: dossier_results (numbered from the agency's counter) and
 * result_downloads. The only place that reads or writes them. At most one
 * result per dossier is issued or being issued, and one upload is staged at
 * a time (unique indexes); methods that take an EntityManager run in the
 * caller's transaction.
 */
@Injectable()
export class ResultsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Whether a result is issued or being issued for the dossier. */
  async hasIssuedOrGenerating(m: EntityManager, dossierId: string): Promise<boolean> {
    const row = await selectOne(
      m,
      `SELECT 1 FROM dossier_results WHERE dossier_id = $1 AND status IN ('generating','issued')`,
      [dossierId],
    );
    return row !== undefined;
  }

  /** Whether the dossier's result is issued with its file stored (downloadable). */
  async hasIssuedFile(dossierId: string, m: EntityManager = this.db.manager): Promise<boolean> {
    const row = await selectOne(
      m,
      `SELECT 1 FROM dossier_results WHERE dossier_id = $1 AND status = 'issued' AND sha256 IS NOT NULL`,
      [dossierId],
    );
    return row !== undefined;
  }

  /** A newer upload replaces the staged one: the old one is kept, discarded. */
  async discardStaged(m: EntityManager, dossierId: string): Promise<void> {
    await m.query(`UPDATE dossier_results SET status = 'discarded' WHERE dossier_id = $1 AND status = 'staged'`, [
      dossierId,
    ]);
  }

  async insertStaged(
    m: EntityManager,
    r: {
      dossierId: string;
      storageKey: string;
      sha256: string;
      sizeBytes: number;
      uploadedBy: string;
      signature?: ResultSignature;
    },
  ): Promise<StagedResult> {
    const row = await selectOne<StagedResult>(
      m,
      `INSERT INTO dossier_results (dossier_id, status, source, storage_key, sha256, size_bytes, uploaded_by, signature)
         VALUES ($1, 'staged', 'uploaded', $2, $3, $4, $5, $6)
         RETURNING id, status, sha256, size_bytes AS "sizeBytes", created_at AS "createdAt"`,
      [
        r.dossierId,
        r.storageKey,
        r.sha256,
        r.sizeBytes,
        r.uploadedBy,
        r.signature ? JSON.stringify(r.signature) : null,
      ],
    );
    return row!;
  }

  async stagedId(m: EntityManager, dossierId: string): Promise<string | undefined> {
    const staged = await selectOne<{ id: string }>(
      m,
      `SELECT id FROM dossier_results WHERE dossier_id = $1 AND status = 'staged'`,
      [dossierId],
    );
    return staged?.id;
  }

  /**
   * The staged upload becomes the issued result, numbered. Null when another
   * result is already issued for the dossier (the unique index said so; the
   * transaction is then aborted).
   */
  async issueStaged(
    m: EntityManager,
    stagedId: string,
    issue: { code: string; issuedBy: string | null; decision: string | null; at: Date },
  ): Promise<string | null> {
    return onlyResult(async () => {
      await m.query(
        `WITH ${nextNumberCte('c', 'KQ', 'd.agency_id', vnYear('$1'), 'FROM dossier_results r JOIN dossiers d ON d.id = r.dossier_id WHERE r.id = $5')}
         UPDATE dossier_results SET status = 'issued', number = (SELECT ${RESULT_NUMBER} FROM c), verification_code = $2, issued_by = $3, issued_at = $1, decision = $4
            WHERE id = $5`,
        [issue.at, issue.code, issue.issuedBy, issue.decision, stagedId],
      );
      return stagedId;
    });
  }

  /** A result to be rendered by a worker, numbered. Null when another result is already issued for the dossier. */
  async insertGenerating(
    m: EntityManager,
    dossierId: string,
    issue: { code: string; issuedBy: string | null; decision: string | null; at: Date },
  ): Promise<string | null> {
    return onlyResult(async () => {
      const row = await selectOne<{ id: string }>(
        m,
        `WITH ${nextNumberCte('c', 'KQ', 'd.agency_id', vnYear('$1'), 'FROM dossiers d WHERE d.id = $5')}
         INSERT INTO dossier_results (dossier_id, status, source, number, verification_code, issued_by, issued_at, decision)
           SELECT $5::uuid, 'generating', 'generated', ${RESULT_NUMBER}, $2::text, $3::uuid, $1::timestamptz, $4::text FROM c RETURNING id`,
        [issue.at, issue.code, issue.issuedBy, issue.decision, dossierId],
      );
      return row!.id;
    });
  }

  toRender(resultId: string, m: EntityManager = this.db.manager): Promise<ResultToRender | undefined> {
    return selectOne(
      m,
      `SELECT r.*, d.code AS dossier_code, d.form_data, acc.full_name AS citizen_name, g.name AS agency_name, g.code AS agency_code,
              p.name AS procedure_name, v.result_template, signer.full_name AS signer_full_name,
              signer.title AS signer_title,
              (SELECT h.data FROM dossier_history h WHERE h.dossier_id = d.id AND h.data ? 'approver'
                 ORDER BY h.seq DESC LIMIT 1) AS approval
         FROM dossier_results r JOIN dossiers d ON d.id = r.dossier_id JOIN accounts acc ON acc.id = d.applicant_id
         JOIN agencies g ON g.id = d.agency_id JOIN procedures p ON p.id = d.procedure_id
         JOIN procedure_versions v ON v.id = d.procedure_version_id
         LEFT JOIN accounts signer ON signer.id = r.issued_by
        WHERE r.id = $1`,
      [resultId],
    );
  }

  /** Compare-and-set: the rendered file is stored once (true when this call stored it). */
  async markRendered(
    m: EntityManager,
    resultId: string,
    file: { storageKey: string; sha256: string; sizeBytes: number; signature?: ResultSignature },
  ): Promise<boolean> {
    const { rows } = await modify<{ id: string }>(
      m,
      `UPDATE dossier_results SET status = 'issued', storage_key = $2, sha256 = $3, size_bytes = $4, signature = $5
          WHERE id = $1 AND (status = 'generating' OR sha256 IS NULL) RETURNING id`,
      [resultId, file.storageKey, file.sha256, file.sizeBytes, file.signature ? JSON.stringify(file.signature) : null],
    );
    return rows.length > 0;
  }

  summaryOf(dossierId: string, m: EntityManager = this.db.manager): Promise<ResultSummary | undefined> {
    return selectOne(
      m,
      `SELECT verification_code AS "verificationCode", sha256, issued_at AS "issuedAt", number, status
         FROM dossier_results WHERE dossier_id = $1 AND status IN ('generating','issued')`,
      [dossierId],
    );
  }

  /** The dossier's issued, stored result file. */
  issuedFile(
    dossierId: string,
    m: EntityManager = this.db.manager,
  ): Promise<{ id: string; storage_key: string; number: string } | undefined> {
    return selectOne(
      m,
      `SELECT id, storage_key, number FROM dossier_results WHERE dossier_id = $1 AND status = 'issued' AND sha256 IS NOT NULL`,
      [dossierId],
    );
  }

  async recordDownload(
    resultId: string,
    who: { accountId: string | null; via: DownloadVia; ip: string | null },
    m: EntityManager = this.db.manager,
  ): Promise<void> {
    await m.query(`INSERT INTO result_downloads (result_id, account_id, via, ip) VALUES ($1, $2, $3, $4)`, [
      resultId,
      who.accountId,
      who.via,
      who.ip,
    ]);
  }

  /** An issued document by its verification code (upper case), with no personal data. */
  byVerificationCode(code: string, m: EntityManager = this.db.manager): Promise<VerifiedResult | undefined> {
    return selectOne(
      m,
      `SELECT r.sha256, r.issued_at AS "issuedAt", r.signature, g.name AS "agencyName", p.name AS "procedureName"
         FROM dossier_results r JOIN dossiers d ON d.id = r.dossier_id JOIN agencies g ON g.id = d.agency_id
         JOIN procedures p ON p.id = d.procedure_id
        WHERE r.verification_code = $1 AND r.status = 'issued' AND r.sha256 IS NOT NULL`,
      [code],
    );
  }
}

/** Runs a write that may meet the one-issued-result index: null when it did. */
async function onlyResult(write: () => Promise<string>): Promise<string | null> {
  try {
    return await write();
  } catch (e) {
    if ((e as { driverError?: { constraint?: string } }).driverError?.constraint === ONE_ISSUED) return null;
    throw e;
  }
}
