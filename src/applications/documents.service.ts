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
import { ApplicationsService, workflowRoles } from './applications.service';

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
  async upload(user: AuthUser, dossierId: string, documentKey: string | undefined, file: UploadedFile) {
    return this.db.transaction((m) => this.uploadLocked(m, user, dossierId, documentKey, file));
  }

  private async uploadLocked(
    m: EntityManager,
    user: AuthUser,
    dossierId: string,
    documentKey: string | undefined,
    file: UploadedFile,
  ) {
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
    const [held] = await m.query(
      `SELECT count(*)::int AS files, coalesce(sum(size_bytes), 0)::bigint AS bytes FROM dossier_documents WHERE dossier_id = $1`,
      [dossierId],
    );
    if (held.files + 1 > this.maxFiles) {
      throw new Conflict(`A dossier holds at most ${this.maxFiles} documents.`, 'dossier-file-limit');
    }
    if (Number(held.bytes) + file.content.length > this.maxBytes) {
      throw new Conflict(`A dossier's documents add up to at most ${this.maxBytes} bytes.`, 'dossier-size-limit');
    }
    const sha256 = createHash('sha256').update(file.content).digest('hex');
    const storageKey = `documents/${dossierId}/${randomUUID()}`;
    await this.storage.put(storageKey, file.content, contentType);
    const [doc] = await m.query(
      `INSERT INTO dossier_documents (dossier_id, document_key, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_role)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING id, document_key AS "documentKey", file_name AS "fileName", content_type AS "contentType",
                 size_bytes AS "sizeBytes", sha256, created_at AS "createdAt"`,
      [
        dossierId,
        documentKey,
        safeFileName(file.fileName),
        contentType,
        file.content.length,
        sha256,
        storageKey,
        user.id,
        user.role,
      ],
    );
    return doc;
  }

  async list(user: AuthUser, dossierId: string) {
    await this.applications.load(this.db.manager, user, dossierId, false);
    return this.db.query(
      `SELECT id, document_key AS "documentKey", file_name AS "fileName", content_type AS "contentType",
              size_bytes AS "sizeBytes", sha256, uploaded_role AS "uploadedRole", created_at AS "createdAt"
         FROM dossier_documents WHERE dossier_id = $1 ORDER BY created_at`,
      [dossierId],
    );
  }

  async download(user: AuthUser, dossierId: string, documentId: string) {
    await this.applications.load(this.db.manager, user, dossierId, false);
    const [doc] = await this.db.query(
      `SELECT file_name, content_type, storage_key FROM dossier_documents WHERE id = $1 AND dossier_id = $2`,
      [documentId, dossierId],
    );
    if (!doc) throw new NotFound('document');
    return {
      fileName: doc.file_name as string,
      contentType: doc.content_type as string,
      content: await this.storage.get(doc.storage_key),
    };
  }
}
