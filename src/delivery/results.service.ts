import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { Conflict, Gone, NotFound, UnsupportedMediaType } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import type { JobDone } from '../outbox/completion';
import { OutboxService } from '../outbox/outbox.service';
import { SignatureRefused } from '../signing/signature-refused';
import { SignatureCheck, SigningService } from '../signing/signing.service';
import { renderResultDocument } from '../pdf/render';
import { FileStorage } from '../storage/file-storage';
import { detectFileType } from '../storage/file-type';
import {
  DownloadVia,
  ResultSignature,
  ResultsRepository,
  ResultSummary,
  ResultTemplate,
  StagedResult,
  VerifiedResult,
} from './results.repository';

export type { ResultSummary, ResultTemplate } from './results.repository';

/** Letters and digits that cannot be confused when read aloud or typed from paper. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const LINK_TTL_SECONDS = 15 * 60;

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
    private readonly repo: ResultsRepository,
    private readonly outbox: OutboxService,
    private readonly storage: FileStorage,
    private readonly signing: SigningService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.linkSecret = config.get('LINK_SECRET', { infer: true });
    this.baseUrl = config.get('PUBLIC_BASE_URL', { infer: true });
  }

  /**
   * The clerk attaches the signed result (PDF) before taking the issuing action; a newer upload replaces it.
   * Its signature must be valid, cover the whole document, and chain to the trust list (422 with the reason).
   */
  async stage(user: AuthUser, dossier: { id: string }, content: Buffer): Promise<StagedResult> {
    if (detectFileType(content) !== 'application/pdf') {
      throw new UnsupportedMediaType('Unsupported file type.', [
        { field: 'file', message: 'the result must be a PDF (judged from the content)' },
      ]);
    }
    const check = await this.signing.verify(content);
    if (!check.valid) throw new SignatureRefused(check.problem ?? 'invalid');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const key = `results/${dossier.id}/${randomUUID()}`;
    await this.storage.put(key, content, 'application/pdf');
    return this.db.transaction(async (m) => {
      if (await this.repo.hasIssuedOrGenerating(m, dossier.id)) {
        throw new Conflict('A result was already issued for this dossier.', 'result-issued');
      }
      await this.repo.discardStaged(m, dossier.id);
      return this.repo.insertStaged(m, {
        dossierId: dossier.id,
        storageKey: key,
        sha256,
        sizeBytes: content.length,
        uploadedBy: user.id,
        signature: signatureOf(check),
      });
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
    const issue = { code: verificationCode(), issuedBy: actorId, decision, at };
    const stagedId = await this.repo.stagedId(m, dossierId);
    const resultId = stagedId
      ? await this.repo.issueStaged(m, stagedId, issue)
      : await this.repo.insertGenerating(m, dossierId, issue);
    if (resultId === null) throw new Conflict('A result was already issued for this dossier.', 'result-issued');
    await this.outbox.add(m, [{ name: 'issue-result', data: { resultId } }]);
  }

  /** Worker: renders and stores a generated result, then tells the citizen it is available. Idempotent. */
  async complete(resultId: string, done?: JobDone): Promise<'issued' | 'already'> {
    const r = await this.repo.toRender(resultId);
    if (!r) throw new NotFound('result');
    if (r.status === 'issued' && r.sha256) return this.announce(r, 'already', done);
    const template: ResultTemplate = r.result_template ?? {};
    // The signer is who approved (the approval in the history), else whoever issued the result.
    const approver = r.approval?.approver ?? {
      name: r.signer_full_name ?? r.agency_name,
      title: r.signer_title,
    };
    const fill = (s: string) =>
      s.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, k: string) => {
        const values: Record<string, unknown> = {
          code: r.dossier_code,
          citizenName: r.citizen_name,
          procedureName: r.procedure_name,
          agencyName: r.agency_name,
          'approver.name': approver.name,
          'approver.title': approver.title,
          'approval.finding': r.approval?.finding,
        };
        const v = k.startsWith('formData.') ? r.form_data?.[k.slice(9)] : values[k];
        // Form values are JSON (scalars, arrays, objects): rendered with String(), as issued documents always were.
        // eslint-disable-next-line @typescript-eslint/no-base-to-string
        return v === undefined || v === null ? '' : String(v);
      });
    const rendered = await renderResultDocument({
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
      signerName: approver.name,
      signerTitle: fill(template.signerTitle ?? '{{approver.title}}').trim() || 'Người có thẩm quyền',
      issuedAt: new Date(r.issued_at),
      verificationCode: r.verification_code,
      verifyUrl: this.verifyUrl(r.verification_code),
    });
    // Signed as the agency at the issue time: deterministic (same key, same bytes), so a retried job writes the
    // same file; the stored SHA-256 (the QR's /verify and "compare a file") is of the signed bytes.
    const pdf = await this.signing.sign(rendered, r.agency_code, { signingTime: new Date(r.issued_at) });
    const check = await this.signing.verify(pdf);
    const key = `results/${r.dossier_id}/${r.id}.pdf`;
    await this.storage.put(key, pdf, 'application/pdf');
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    return this.db.transaction(async (m) => {
      const stored = await this.repo.markRendered(m, r.id, {
        storageKey: key,
        sha256,
        sizeBytes: pdf.length,
        signature: signatureOf(check),
      });
      if (!stored) return 'already' as const;
      await this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId: r.dossier_id, event: 'result_available', sourceId: r.id } },
      ]);
      await done?.(m);
      return 'issued' as const;
    });
  }

  /** An uploaded result needs no rendering: only the announcement (once, by its unique notification key). */
  private async announce(
    r: { id: string; dossier_id: string },
    outcome: 'already',
    done?: JobDone,
  ): Promise<'already'> {
    await this.db.transaction(async (m) => {
      await this.outbox.add(m, [
        { name: 'dossier-event', data: { dossierId: r.dossier_id, event: 'result_available', sourceId: r.id } },
      ]);
      await done?.(m);
    });
    return outcome;
  }

  async summaryOf(dossierId: string, m: EntityManager = this.db.manager): Promise<ResultSummary | null> {
    return (await this.repo.summaryOf(dossierId, m)) ?? null;
  }

  /** Whether the dossier's result is issued and downloadable. */
  hasIssuedFile(dossierId: string): Promise<boolean> {
    return this.repo.hasIssuedFile(dossierId);
  }

  /** The issued file of a dossier the caller may see (scope checked by the caller), recording the download. */
  async download(
    dossierId: string,
    who: { accountId: string | null; via: DownloadVia; ip: string | null },
  ): Promise<{ content: Buffer; fileName: string }> {
    const r = await this.repo.issuedFile(dossierId);
    if (!r) throw new NotFound('result');
    const content = await this.storage.get(r.storage_key);
    await this.repo.recordDownload(r.id, who);
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
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { d?: unknown; e?: unknown };
    } catch {
      throw new NotFound('result');
    }
    if (typeof claims.d !== 'string' || typeof claims.e !== 'number') throw new NotFound('result');
    if (claims.e * 1000 < Date.now()) throw new Gone('The link has expired.');
    return claims.d;
  }

  /**
   * Public check of a document: genuine and unaltered, with no personal data in the answer; `signer` is the
   * organisation and certificate name of its PDF signature, and when it was signed (null: issued unsigned,
   * before signatures).
   */
  async verify(
    code: string,
    sha256?: string,
  ): Promise<Omit<VerifiedResult, 'signature'> & { valid: boolean; signer: VerifiedSigner | null }> {
    const r = await this.repo.byVerificationCode(code.toUpperCase());
    if (!r) throw new NotFound('document');
    const valid = sha256 === undefined ? true : sha256.toLowerCase() === r.sha256;
    return {
      valid,
      sha256: r.sha256,
      issuedAt: r.issuedAt,
      agencyName: r.agencyName,
      procedureName: r.procedureName,
      signer: r.signature
        ? {
            organization: r.signature.organization,
            name: r.signature.name,
            signedAt: r.signature.signedAt ? new Date(r.signature.signedAt) : null,
          }
        : null,
    };
  }

  verifyUrl(code: string): string {
    return `${this.baseUrl}/verify/${code}`; // the public page (src/web); the JSON stays at /api/v1/verify/:code
  }
}

/** The signer shown by /verify. */
export interface VerifiedSigner {
  organization: string;
  name: string;
  signedAt: Date | null;
}

function signatureOf(check: SignatureCheck): ResultSignature {
  return {
    organization: check.signer?.organization ?? '',
    name: check.signer?.name ?? '',
    serial: check.signer?.serial ?? '',
    signedAt: check.signedAt?.toISOString() ?? null,
  };
}

function verificationCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
}
