import type { DossierRow } from './dossier';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, isStaff } from '../auth/auth-user';
import { Conflict, NotFound, UnsupportedMediaType, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { ProceduresService, PublishedVersion } from '../procedures/procedures.service';
import { FileStorage } from '../storage/file-storage';
import { detectFileType, safeFileName } from '../storage/file-type';
import { canEdit, stateOf } from '../workflow/engine';
import { workflowRoles } from './actor';
import { ApplicationsService } from './applications.service';
import { DocumentsRepository, ListedDocument, StoredDocument } from './documents.repository';
import { DossierRepository } from './dossier.repository';

/** Documents a clerk attaches to a step (a notice, a scan) use this key. */
export const ATTACHMENT_KEY = 'attachment';

/**
 * Whether an upload is a scan of paper: staff providing the applicant's document of a dossier filed at the counter
 * or by post (always: the papers were received in hand), or staff saying so (`digitised: true`) on another one.
 */
function isDigitised(user: AuthUser, row: DossierRow, documentKey: string, asked: boolean | undefined): boolean {
  if (!isStaff(user) || documentKey === ATTACHMENT_KEY) return false;
  return asked ?? row.channel !== 'online';
}

export interface UploadedFile {
  fileName: string | undefined;
  content: Buffer;
}

@Injectable()
export class DocumentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly applications: ApplicationsService,
    private readonly documents: DocumentsRepository,
    private readonly dossiers: DossierRepository,
    private readonly procedures: ProceduresService,
    private readonly storage: FileStorage,
    config: ConfigService<AppConfig, true>,
  ) {
    this.maxFiles = config.get('DOSSIER_MAX_FILES', { infer: true });
    this.maxBytes = config.get('DOSSIER_MAX_BYTES', { infer: true });
  }

  private readonly maxFiles: number;
  private readonly maxBytes: number;

  /**
   * One document, in one transaction on the locked dossier row: uploads to the
   * same dossier queue up, so the per-dossier limits (DOSSIER_MAX_FILES,
   * DOSSIER_MAX_BYTES) hold under concurrency. The file is stored only once
   * every check passed, so a refusal leaves nothing behind.
   */
  async upload(
    user: AuthUser,
    dossierId: string,
    documentKey: string | undefined,
    file: UploadedFile,
    digitised?: boolean,
  ): Promise<StoredDocument> {
    if (digitised && !isStaff(user)) {
      throw new ValidationFailed([{ field: 'digitised', message: 'only staff digitise papers' }]);
    }
    return this.db.transaction((m) => this.uploadLocked(m, user, dossierId, documentKey, file, digitised));
  }

  private async uploadLocked(
    m: EntityManager,
    user: AuthUser,
    dossierId: string,
    documentKey: string | undefined,
    file: UploadedFile,
    digitised: boolean | undefined,
  ): Promise<StoredDocument> {
    const row = await this.applications.load(m, user, dossierId, true);
    const version = await this.procedures.version(row.procedure_version_id);
    this.checkMayProvide(user, row, version, documentKey);
    const contentType = detectFileType(file.content);
    if (!contentType)
      throw new UnsupportedMediaType('Unsupported file type.', [
        { field: 'file', message: 'only PDF, JPEG and PNG files are accepted (judged from the content)' },
      ]);
    const held = await this.documents.usage(m, dossierId);
    if (held.files + 1 > this.maxFiles) {
      throw new Conflict(`A dossier holds at most ${this.maxFiles} documents.`, 'dossier-file-limit');
    }
    if (held.bytes + file.content.length > this.maxBytes) {
      throw new Conflict(`A dossier's documents add up to at most ${this.maxBytes} bytes.`, 'dossier-size-limit');
    }
    const sha256 = createHash('sha256').update(file.content).digest('hex');
    const storageKey = `documents/${dossierId}/${randomUUID()}`;
    await this.storage.put(storageKey, file.content, contentType);
    return this.documents.insert(m, {
      dossierId,
      documentKey,
      fileName: safeFileName(file.fileName),
      contentType,
      sizeBytes: file.content.length,
      sha256,
      storageKey,
      uploadedBy: user.id,
      uploadedRole: user.role,
      digitisedBy: isDigitised(user, row, documentKey, digitised) ? user.id : null,
    });
  }

  /**
   * Who may add which document (upload or reuse): one of the version's required documents (staff also a step
   * attachment); the citizen while the workflow lets them edit; staff while the dossier is open, the applicant's
   * documents only where the workflow lets their role edit, or (counter and post filings) at any open step: the
   * clerk received the papers in hand and scans them after receipt.
   */
  private checkMayProvide(
    user: AuthUser,
    row: DossierRow,
    version: PublishedVersion,
    documentKey: string | undefined,
    attachments = true,
  ): asserts documentKey is string {
    const keys = new Set([
      ...version.requiredDocuments.map((d) => d.key),
      ...(isStaff(user) && attachments ? [ATTACHMENT_KEY] : []),
    ]);
    if (!documentKey || !keys.has(documentKey)) {
      throw new ValidationFailed([
        { field: 'documentKey', message: `documentKey must be one of: ${[...keys].join(', ')}` },
      ]);
    }
    if (user.role === 'citizen' && !canEdit(version.workflow, row.state, 'citizen')) {
      throw new Conflict(`Documents cannot be added in state ${row.state}.`, 'not-editable');
    }
    if (isStaff(user) && stateOf(version.workflow, row.state).terminal) {
      throw new Conflict(`Documents cannot be added in state ${row.state}.`, 'not-editable');
    }
    // The citizen's required documents are the citizen's to provide; staff fill them only where the workflow lets them
    // edit, or for papers filed at the counter or by post (their scans).
    if (
      isStaff(user) &&
      documentKey !== ATTACHMENT_KEY &&
      row.channel === 'online' &&
      !workflowRoles(user).some((r) => canEdit(version.workflow, row.state, r))
    ) {
      throw new Conflict(
        `Staff cannot provide the applicant's documents in state ${row.state}; attach a document to a step instead.`,
        'not-editable',
      );
    }
  }

  /**
   * "Do not ask twice" (issue 13): a required document of the dossier is provided by an earlier document or issued
   * result of the same citizen (any earlier dossier of theirs that was submitted, at any agency: the papers the
   * state already holds), instead of a new upload. Recorded on the dossier: a document row pointing to its source
   * (the same stored bytes) and a history entry `reuse_document` carrying it. By the owner, or the agency's staff,
   * under the same rules as an upload.
   */
  async reuse(
    user: AuthUser,
    dossierId: string,
    dto: { documentKey: string; sourceDocumentId?: string; sourceResultId?: string },
  ): Promise<StoredDocument> {
    if (!dto.sourceDocumentId === !dto.sourceResultId) {
      throw new ValidationFailed([
        { field: 'sourceDocumentId', message: 'give exactly one of sourceDocumentId and sourceResultId' },
      ]);
    }
    return this.db.transaction(async (m) => {
      const row = await this.applications.load(m, user, dossierId, true);
      const version = await this.procedures.version(row.procedure_version_id);
      this.checkMayProvide(user, row, version, dto.documentKey, false);
      const source = dto.sourceDocumentId
        ? await this.documents.reusableDocument(m, dto.sourceDocumentId, row.applicant_id, row.id)
        : await this.documents.reusableResult(m, dto.sourceResultId!, row.applicant_id, row.id);
      if (!source) {
        const field = dto.sourceDocumentId ? 'sourceDocumentId' : 'sourceResultId';
        throw new ValidationFailed([
          { field, message: 'no earlier document or issued result of the same citizen has this id' },
        ]);
      }
      const held = await this.documents.usage(m, dossierId);
      if (held.files + 1 > this.maxFiles) {
        throw new Conflict(`A dossier holds at most ${this.maxFiles} documents.`, 'dossier-file-limit');
      }
      const historyId = await this.dossiers.appendHistory(m, row, {
        action: 'reuse_document',
        fromState: row.state,
        toState: row.state,
        actorId: user.id,
        actorRole: user.role,
        comment: null,
        data: {
          documentKey: dto.documentKey,
          ...(dto.sourceDocumentId
            ? { sourceDocumentId: dto.sourceDocumentId }
            : { sourceResultId: dto.sourceResultId }),
          sourceDossierCode: source.dossierCode,
        },
        at: new Date(),
      });
      return this.documents.insert(m, {
        dossierId,
        documentKey: dto.documentKey,
        fileName: source.fileName,
        contentType: source.contentType,
        sizeBytes: Number(source.sizeBytes),
        sha256: source.sha256,
        storageKey: source.storageKey,
        uploadedBy: user.id,
        uploadedRole: user.role,
        reusedFromDocumentId: dto.sourceDocumentId ?? null,
        reusedFromResultId: dto.sourceResultId ?? null,
        historyId,
      });
    });
  }

  /** The applicant's earlier documents and results that `reuse` accepts for this dossier (one the caller may see). */
  async reusableSources(user: AuthUser, dossierId: string) {
    const row = await this.applications.find(user, dossierId);
    return this.documents.reusableFor(row.applicant_id, row.id);
  }

  /**
   * The citizen takes back a document while the dossier is theirs to edit: in the first state any document they
   * uploaded; later (a supplementation) only one added since the dossier came back. The stored file stays (the
   * storage keeps no deletes; its key is no longer referenced).
   */
  async remove(user: AuthUser, dossierId: string, documentId: string): Promise<{ documentKey: string }> {
    return this.db.transaction(async (m) => {
      const row = await this.applications.load(m, user, dossierId, true);
      const version = await this.procedures.version(row.procedure_version_id);
      if (user.role !== 'citizen' || !canEdit(version.workflow, row.state, 'citizen')) {
        throw new Conflict(`Documents cannot be removed in state ${row.state}.`, 'not-editable');
      }
      const removed = await this.documents.remove(
        m,
        dossierId,
        documentId,
        user.id,
        !stateOf(version.workflow, row.state).start,
      );
      if (!removed) throw new NotFound('document');
      return { documentKey: removed.documentKey };
    });
  }

  async list(user: AuthUser, dossierId: string): Promise<ListedDocument[]> {
    await this.applications.find(user, dossierId);
    return this.documents.list(dossierId);
  }

  async download(
    user: AuthUser,
    dossierId: string,
    documentId: string,
  ): Promise<{ fileName: string; contentType: string; content: Buffer }> {
    await this.applications.find(user, dossierId);
    const doc = await this.documents.find(dossierId, documentId);
    if (!doc) throw new NotFound('document');
    return { fileName: doc.fileName, contentType: doc.contentType, content: await this.storage.get(doc.storageKey) };
  }
}
