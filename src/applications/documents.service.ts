import type { DossierRow } from './dossier';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, isStaff } from '../auth/auth-user';
import { Conflict, NotFound, UnsupportedMediaType, ValidationFailed } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { ProceduresService } from '../procedures/procedures.service';
import { FileStorage } from '../storage/file-storage';
import { detectFileType, safeFileName } from '../storage/file-type';
import { canEdit, stateOf } from '../workflow/engine';
import { workflowRoles } from './actor';
import { ApplicationsService } from './applications.service';
import { DocumentsRepository, ListedDocument, StoredDocument } from './documents.repository';

/** Documents a clerk attaches to a step (a notice, a scan) use this key. */
export const ATTACHMENT_KEY = 'attachment';

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
  ): Promise<StoredDocument> {
    return this.db.transaction((m) => this.uploadLocked(m, user, dossierId, documentKey, file));
  }

  private async uploadLocked(
    m: EntityManager,
    user: AuthUser,
    dossierId: string,
    documentKey: string | undefined,
    file: UploadedFile,
  ): Promise<StoredDocument> {
    const row = await this.applications.load(m, user, dossierId, true);
    const version = await this.procedures.version(row.procedure_version_id);
    const keys = new Set([...version.requiredDocuments.map((d) => d.key), ...(isStaff(user) ? [ATTACHMENT_KEY] : [])]);
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
    // The citizen's required documents are the citizen's to provide; staff fill them only where the workflow lets them edit.
    if (
      isStaff(user) &&
      documentKey !== ATTACHMENT_KEY &&
      !workflowRoles(user).some((r) => canEdit(version.workflow, row.state, r))
    ) {
      throw new Conflict(
        `Staff cannot provide the applicant's documents in state ${row.state}; attach a document to a step instead.`,
        'not-editable',
      );
    }
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
    });
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

  /** The documents of a dossier the caller has already read through ApplicationsService (so may see). */
  listOf(dossier: Pick<DossierRow, 'id'>): Promise<ListedDocument[]> {
    return this.documents.list(dossier.id);
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
