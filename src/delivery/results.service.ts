import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { Conflict, Gone, NotFound, UnsupportedMediaType, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { OutboxService } from '../outbox/outbox.service';
import { renderResultDocument } from '../pdf/render';
import { FileStorage } from '../storage/file-storage';
import { detectFileType } from '../storage/file-type';

/** What a procedure version may say about the result it issues; `{{placeholders}}` are filled in. */
export interface ResultTemplate {
  title?: string;
  paragraphs?: string[];
  signerTitle?: string;
}

/** Letters and digits that cannot be confused when read aloud or typed from paper. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const LINK_TTL_SECONDS = 15 * 60;

export interface ResultSummary {
  verificationCode: string;
  sha256: string | null;
  issuedAt: Date;
  number: string;
  status: 'generating' | 'issued';
}

/**
 * The result of a dossier: uploaded signed by the clerk, or generated from the
 * procedure's template. Every issued result is stored with its SHA-256 and a
 * short verification code (printed as a QR code on generated documents) that
 * anyone can check at `GET /verify/:code` without learning who it belongs to.
 */
@Injectable()
export class ResultsService {
  private readonly linkSecret: string;
  private readonly baseUrl: string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly storage: FileStorage,
    config: ConfigService<AppConfig, true>,
  ) {
    this.linkSecret = config.get('LINK_SECRET', { infer: true });
    this.baseUrl = config.get('PUBLIC_BASE_URL', { infer: true });
  }

  /** The clerk attaches the signed result (PDF) before taking the issuing action; a newer upload replaces it. */
  async stage(user: AuthUser, dossier: { id: string }, content: Buffer) {
    if (detectFileType(content) !== 'application/pdf') {
      throw new UnsupportedMediaType('Unsupported file type.', [
        { field: 'file', message: 'the result must be a PDF (judged from the content)' },
      ]);
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    const key = `results/${dossier.id}/${randomUUID()}`;
    await this.storage.put(key, content, 'application/pdf');
    return this.db.transaction(async (m) => {
      const [issued] = await m.query(
        `SELECT 1 FROM dossier_results WHERE dossier_id = $1 AND status IN ('generating','issued')`,
        [dossier.id],
      );
      if (issued) throw new Conflict('A result was already issued for this dossier.', 'result-issued');
      await m.query(`UPDATE dossier_results SET status = 'discarded' WHERE dossier_id = $1 AND status = 'staged'`, [
        dossier.id,
      ]);
      const [row] = await m.query(
        `INSERT INTO dossier_results (dossier_id, status, source, storage_key, sha256, size_bytes, uploaded_by)
         VALUES ($1, 'staged', 'uploaded', $2, $3, $4, $5)
         RETURNING id, status, sha256, size_bytes AS "sizeBytes", created_at AS "createdAt"`,
        [dossier.id, key, sha256, content.length, user.id],
      );
      return row;
    });
  }

  /**
   * The `issueResult` effect, inside the issuing action's transaction: the
   * staged upload becomes the result, or a generated one is started (rendered
   * by a worker: the PDF is deterministic, so a retried job writes the same bytes).
   */
  async issue(
    m: EntityManager,
    dossierId: string,
    actorId: string | null,
    decision: string | null,
    at: Date,
  ): Promise<void> {
    const code = verificationCode();
    const [staged] = await m.query(`SELECT id FROM dossier_results WHERE dossier_id = $1 AND status = 'staged'`, [
      dossierId,
    ]);
    const number = `SELECT lpad(nextval('result_number_seq')::text, 6, '0') || '/' || to_char($1::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY') || '/KQ'`;
    let resultId: string;
    try {
      if (staged) {
        await m.query(
          `UPDATE dossier_results SET status = 'issued', number = (${number}), verification_code = $2, issued_by = $3, issued_at = $1, decision = $4
            WHERE id = $5`,
          [at, code, actorId, decision, staged.id],
        );
        resultId = staged.id;
      } else {
        const [row] = await m.query(
          `INSERT INTO dossier_results (dossier_id, status, source, number, verification_code, issued_by, issued_at, decision)
           VALUES ($5, 'generating', 'generated', (${number}), $2, $3, $1, $4) RETURNING id`,
          [at, code, actorId, decision, dossierId],
        );
        resultId = row.id;
      }
    } catch (e) {
      if ((e as { driverError?: { constraint?: string } }).driverError?.constraint === 'dossier_results_one_issued') {
        throw new Conflict('A result was already issued for this dossier.', 'result-issued');
      }
      throw e;
    }
    await this.outbox.add(m, [{ name: 'issue-result', data: { resultId } }]);
  }

  /** Worker: renders and stores a generated result, then tells the citizen it is available. Idempotent. */
  async complete(resultId: string): Promise<'issued' | 'already'> {
    const [r] = await this.db.query(
      `SELECT r.*, d.code AS dossier_code, d.form_data, acc.full_name AS citizen_name, g.name AS agency_name, p.name AS procedure_name,
              v.result_template, signer.full_name AS signer_full_name
         FROM dossier_results r JOIN dossiers d ON d.id = r.dossier_id JOIN accounts acc ON acc.id = d.applicant_id
         JOIN agencies g ON g.id = d.agency_id JOIN procedures p ON p.id = d.procedure_id
         JOIN procedure_versions v ON v.id = d.procedure_version_id
         LEFT JOIN accounts signer ON signer.id = r.issued_by
        WHERE r.id = $1`,
      [resultId],
    );
    if (!r) throw new NotFound('result');
    if (r.status === 'issued' && r.sha256) return this.announce(r, 'already');
    const template: ResultTemplate = r.result_template ?? {};
    const fill = (s: string) =>
      s.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, k: string) => {
        const values: Record<string, unknown> = {
          code: r.dossier_code,
          citizenName: r.citizen_name,
          procedureName: r.procedure_name,
          agencyName: r.agency_name,
        };
        const v = k.startsWith('formData.') ? r.form_data?.[k.slice(9)] : values[k];
        return v === undefined || v === null ? '' : String(v);
      });
    const pdf = await renderResultDocument({
      agencyName: r.agency_name,
      title: fill(template.title ?? r.procedure_name).toUpperCase(),
      number: r.number,
      dossierCode: r.dossier_code,
      citizenName: r.citizen_name,
      decision: r.decision ?? 'Chấp thuận / Approved',
      body: (
        template.paragraphs ?? [
          'Kết quả giải quyết hồ sơ {{code}} của ông/bà {{citizenName}} về thủ tục {{procedureName}}.',
        ]
      ).map(fill),
      signerName: r.signer_full_name ?? r.agency_name,
      signerTitle: template.signerTitle ?? 'Người có thẩm quyền',
      issuedAt: new Date(r.issued_at),
      verificationCode: r.verification_code,
      verifyUrl: this.verifyUrl(r.verification_code),
    });
    const key = `results/${r.dossier_id}/${r.id}.pdf`;
    await this.storage.put(key, pdf, 'application/pdf');
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    return this.db.transaction(async (m) => {
      const [updated] = await m.query(
        `UPDATE dossier_results SET status = 'issued', storage_key = $2, sha256 = $3, size_bytes = $4
          WHERE id = $1 AND (status = 'generating' OR sha256 IS NULL) RETURNING id`,
        [r.id, key, sha256, pdf.length],
      );
      if (!updated.length) return 'already' as const;
      await this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId: r.dossier_id, event: 'result_available', sourceId: r.id } },
      ]);
      return 'issued' as const;
    });
  }

  /** An uploaded result needs no rendering: only the announcement (once, by its unique notification key). */
  private async announce(r: { id: string; dossier_id: string }, outcome: 'already'): Promise<'already'> {
    await this.db.transaction((m) =>
      this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId: r.dossier_id, event: 'result_available', sourceId: r.id } },
      ]),
    );
    return outcome;
  }

  async summaryOf(dossierId: string, m: EntityManager = this.db.manager): Promise<ResultSummary | null> {
    const [r] = await m.query(
      `SELECT verification_code AS "verificationCode", sha256, issued_at AS "issuedAt", number, status
         FROM dossier_results WHERE dossier_id = $1 AND status IN ('generating','issued')`,
      [dossierId],
    );
    return r ?? null;
  }

  /** The issued file of a dossier the caller may see (scope checked by the caller), recording the download. */
  async download(
    dossierId: string,
    who: { accountId: string | null; via: 'owner' | 'staff' | 'link'; ip: string | null },
  ) {
    const [r] = await this.db.query(
      `SELECT id, storage_key, number FROM dossier_results WHERE dossier_id = $1 AND status = 'issued' AND sha256 IS NOT NULL`,
      [dossierId],
    );
    if (!r) throw new NotFound('result');
    const content = await this.storage.get(r.storage_key);
    await this.db.query(`INSERT INTO result_downloads (result_id, account_id, via, ip) VALUES ($1, $2, $3, $4)`, [
      r.id,
      who.accountId,
      who.via,
      who.ip,
    ]);
    return { content, fileName: `ket-qua-${String(r.number).replace(/\W+/g, '-')}.pdf` };
  }

  /** A link that downloads the result without signing in, valid for 15 minutes. */
  signedLink(dossierId: string): { url: string; expiresAt: Date } {
    const expiresAt = new Date(Date.now() + LINK_TTL_SECONDS * 1000);
    const payload = Buffer.from(JSON.stringify({ d: dossierId, e: Math.floor(expiresAt.getTime() / 1000) })).toString(
      'base64url',
    );
    const sig = createHmac('sha256', this.linkSecret).update(payload).digest('base64url');
    return { url: `${this.baseUrl}/api/v1/results/download?token=${payload}.${sig}`, expiresAt };
  }

  /** The dossier a signed link is for; an altered or expired link is refused. */
  readLink(token: string): string {
    const [payload, sig] = token.split('.');
    if (!payload || !sig) throw new NotFound('result');
    const expected = createHmac('sha256', this.linkSecret).update(payload).digest();
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new NotFound('result');
    let claims: { d?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new NotFound('result');
    }
    if (typeof claims.d !== 'string' || typeof claims.e !== 'number') throw new NotFound('result');
    if (claims.e * 1000 < Date.now()) throw new Gone('The link has expired.');
    return claims.d;
  }

  /** Public check of a document: genuine and unaltered, with no personal data in the answer. */
  async verify(code: string, sha256?: string) {
    const [r] = await this.db.query(
      `SELECT r.sha256, r.issued_at AS "issuedAt", g.name AS "agencyName", p.name AS "procedureName"
         FROM dossier_results r JOIN dossiers d ON d.id = r.dossier_id JOIN agencies g ON g.id = d.agency_id
         JOIN procedures p ON p.id = d.procedure_id
        WHERE r.verification_code = $1 AND r.status = 'issued' AND r.sha256 IS NOT NULL`,
      [code.toUpperCase()],
    );
    if (!r) throw new NotFound('document');
    const valid = sha256 === undefined ? true : sha256.toLowerCase() === r.sha256;
    return {
      valid,
      sha256: r.sha256 as string,
      issuedAt: r.issuedAt as Date,
      agencyName: r.agencyName as string,
      procedureName: r.procedureName as string,
    };
  }

  verifyUrl(code: string): string {
    return `${this.baseUrl}/verify/${code}`; // the public page (src/web); the JSON stays at /api/v1/verify/:code
  }
}

function verificationCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
}
