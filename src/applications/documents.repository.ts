import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface StoredDocument {
  id: string;
  documentKey: string;
  fileName: string;
  contentType: string;
  sizeBytes: string;
  sha256: string;
  digitised: boolean;
  digitisedBy: string | null;
  reusedFromDocumentId: string | null;
  reusedFromResultId: string | null;
  createdAt: Date;
}

/** The stored file another document or result holds, which a new dossier may point to again. */
export interface ReusableSource {
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  dossierId: string;
  dossierCode: string | null;
}

/** An earlier document or issued result a dossier may reuse, as a list offers it. */
export interface ReusableItem {
  kind: 'document' | 'result';
  id: string;
  /** The document's key; null for a result. */
  documentKey: string | null;
  fileName: string;
  dossierCode: string | null;
  procedureName: string;
  at: Date;
}

const DOCUMENT_COLUMNS = `id, document_key AS "documentKey", file_name AS "fileName", content_type AS "contentType",
  size_bytes AS "sizeBytes", sha256, digitised, digitised_by AS "digitisedBy",
  reused_from_document_id AS "reusedFromDocumentId", reused_from_result_id AS "reusedFromResultId"`;

export interface ListedDocument extends StoredDocument {
  uploadedRole: string;
}

/**
 * A dossier's documents as `list` returns them, as one JSON column (an SQL expression over the dossier's id `id`),
 * for a statement that reads the dossier and what its page shows at once; `listedDocuments` turns it back.
 */
export function documentsJson(id: string): string {
  return `(SELECT coalesce(json_agg(json_build_object('id', x.id, 'documentKey', x.document_key, 'fileName', x.file_name,
            'contentType', x.content_type, 'sizeBytes', x.size_bytes, 'sha256', x.sha256, 'digitised', x.digitised,
            'digitisedBy', x.digitised_by, 'reusedFromDocumentId', x.reused_from_document_id,
            'reusedFromResultId', x.reused_from_result_id, 'uploadedRole', x.uploaded_role, 'createdAt', x.created_at)
            ORDER BY x.created_at), '[]') FROM dossier_documents x WHERE x.dossier_id = ${id})`;
}

/** The documents of `documentsJson` with their timestamps as dates again (JSON carries them as text). */
export const listedDocuments = (
  json: (Omit<ListedDocument, 'createdAt'> & { createdAt: string })[],
): ListedDocument[] => json.map((x) => ({ ...x, createdAt: new Date(x.createdAt) }));

export interface NewDocument {
  dossierId: string;
  documentKey: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  uploadedBy: string;
  uploadedRole: string;
  /** The staff account that scanned the paper, when it is a scan. */
  digitisedBy?: string | null;
  reusedFromDocumentId?: string | null;
  reusedFromResultId?: string | null;
  historyId?: string | null;
}

/** A dossier's documents (dossier_documents): the only place that reads or writes them. */
@Injectable()
export class DocumentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** How many documents the dossier holds and their total size in bytes. */
  async usage(m: EntityManager, dossierId: string): Promise<{ files: number; bytes: number }> {
    const [held]: { files: number; bytes: string }[] = await m.query(
      `SELECT count(*)::int AS files, coalesce(sum(size_bytes), 0)::bigint AS bytes FROM dossier_documents WHERE dossier_id = $1`,
      [dossierId],
    );
    return { files: held.files, bytes: Number(held.bytes) };
  }

  async insert(m: EntityManager, d: NewDocument): Promise<StoredDocument> {
    const [doc]: StoredDocument[] = await m.query(
      `INSERT INTO dossier_documents (dossier_id, document_key, file_name, content_type, size_bytes, sha256, storage_key,
                                      uploaded_by, uploaded_role, digitised, digitised_by, reused_from_document_id,
                                      reused_from_result_id, history_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uuid IS NOT NULL, $10::uuid, $11::uuid, $12::uuid, $13::uuid)
       RETURNING ${DOCUMENT_COLUMNS}, created_at AS "createdAt"`,
      [
        d.dossierId,
        d.documentKey,
        d.fileName,
        d.contentType,
        d.sizeBytes,
        d.sha256,
        d.storageKey,
        d.uploadedBy,
        d.uploadedRole,
        d.digitisedBy ?? null,
        d.reusedFromDocumentId ?? null,
        d.reusedFromResultId ?? null,
        d.historyId ?? null,
      ],
    );
    return doc;
  }

  async list(dossierId: string): Promise<ListedDocument[]> {
    return this.db.query(
      `SELECT ${DOCUMENT_COLUMNS}, uploaded_role AS "uploadedRole", created_at AS "createdAt"
         FROM dossier_documents WHERE dossier_id = $1 ORDER BY created_at`,
      [dossierId],
    );
  }

  async find(
    dossierId: string,
    documentId: string,
  ): Promise<{ fileName: string; contentType: string; storageKey: string } | undefined> {
    const [doc]: { file_name: string; content_type: string; storage_key: string }[] = await this.db.query(
      `SELECT file_name, content_type, storage_key FROM dossier_documents WHERE id = $1 AND dossier_id = $2`,
      [documentId, dossierId],
    );
    return doc && { fileName: doc.file_name, contentType: doc.content_type, storageKey: doc.storage_key };
  }

  /**
   * A document of another dossier of `applicantId` that was submitted (not a draft, not a step attachment), for the
   * "do not ask twice" rule; undefined otherwise.
   */
  async reusableDocument(
    m: EntityManager,
    id: string,
    applicantId: string,
    exceptDossierId: string,
  ): Promise<ReusableSource | undefined> {
    const [doc]: ReusableSource[] = await m.query(
      `SELECT x.file_name AS "fileName", x.content_type AS "contentType", x.size_bytes AS "sizeBytes", x.sha256,
              x.storage_key AS "storageKey", s.id AS "dossierId", s.code AS "dossierCode"
         FROM dossier_documents x JOIN dossiers s ON s.id = x.dossier_id
        WHERE x.id = $1 AND s.applicant_id = $2 AND s.id <> $3 AND s.submitted_at IS NOT NULL
          AND x.document_key <> 'attachment'`,
      [id, applicantId, exceptDossierId],
    );
    return doc;
  }

  /** An issued result of another dossier of `applicantId` (read-only, from the delivery module's table); undefined otherwise. */
  async reusableResult(
    m: EntityManager,
    id: string,
    applicantId: string,
    exceptDossierId: string,
  ): Promise<ReusableSource | undefined> {
    const [doc]: ReusableSource[] = await m.query(
      `SELECT 'ket-qua-' || coalesce(r.number, s.code, r.id::text) || '.pdf' AS "fileName", 'application/pdf' AS "contentType",
              r.size_bytes AS "sizeBytes", r.sha256, r.storage_key AS "storageKey", s.id AS "dossierId", s.code AS "dossierCode"
         FROM dossier_results r JOIN dossiers s ON s.id = r.dossier_id
        WHERE r.id = $1 AND s.applicant_id = $2 AND s.id <> $3 AND r.status = 'issued'
          AND r.storage_key IS NOT NULL AND r.sha256 IS NOT NULL`,
      [id, applicantId, exceptDossierId],
    );
    return doc;
  }

  /**
   * What "do not ask twice" offers for a dossier: the documents (not step attachments) and issued results of the
   * applicant's other submitted dossiers, newest first (the same conditions as `reusableDocument` and
   * `reusableResult`).
   */
  async reusableFor(applicantId: string, exceptDossierId: string, limit = 50): Promise<ReusableItem[]> {
    return this.db.query(
      `SELECT * FROM (
         SELECT 'document' AS kind, x.id, x.document_key AS "documentKey", x.file_name AS "fileName",
                s.code AS "dossierCode", p.name AS "procedureName", x.created_at AS at
           FROM dossier_documents x JOIN dossiers s ON s.id = x.dossier_id JOIN procedures p ON p.id = s.procedure_id
          WHERE s.applicant_id = $1 AND s.id <> $2 AND s.submitted_at IS NOT NULL AND x.document_key <> 'attachment'
         UNION ALL
         SELECT 'result', r.id, NULL, 'ket-qua-' || coalesce(r.number, s.code, r.id::text) || '.pdf',
                s.code, p.name, coalesce(r.issued_at, r.created_at)
           FROM dossier_results r JOIN dossiers s ON s.id = r.dossier_id JOIN procedures p ON p.id = s.procedure_id
          WHERE s.applicant_id = $1 AND s.id <> $2 AND r.status = 'issued'
            AND r.storage_key IS NOT NULL AND r.sha256 IS NOT NULL
       ) sources ORDER BY at DESC, id LIMIT $3`,
      [applicantId, exceptDossierId, limit],
    );
  }

  /** The document keys the dossier holds (each once). */
  async presentKeys(m: EntityManager, dossierId: string): Promise<Set<string>> {
    const present: { document_key: string }[] = await m.query(
      `SELECT DISTINCT document_key FROM dossier_documents WHERE dossier_id = $1`,
      [dossierId],
    );
    return new Set(present.map((p) => p.document_key));
  }

  /** How many of `ids` are documents of the dossier, uploaded by the account and not attached to a step yet. */
  async countAttachable(m: EntityManager, ids: string[], dossierId: string, uploadedBy: string): Promise<number> {
    const rows: unknown[] = await m.query(
      `SELECT id FROM dossier_documents WHERE id = ANY($1::uuid[]) AND dossier_id = $2 AND uploaded_by = $3 AND history_id IS NULL`,
      [ids, dossierId, uploadedBy],
    );
    return rows.length;
  }

  /** Attaches the documents to a history entry (the step they were given with). */
  async attach(m: EntityManager, ids: string[], historyId: string): Promise<void> {
    await m.query(`UPDATE dossier_documents SET history_id = $2 WHERE id = ANY($1::uuid[])`, [ids, historyId]);
  }

  /**
   * Removes a document the account uploaded and that is not part of a step; with `sinceLastMove`, only one uploaded
   * after the dossier's last change of state (what a supplementation added, not what was filed before). The
   * document's key and storage key, or undefined when there is no such document.
   */
  async remove(
    m: EntityManager,
    dossierId: string,
    documentId: string,
    uploadedBy: string,
    sinceLastMove: boolean,
  ): Promise<{ documentKey: string; storageKey: string } | undefined> {
    const [doc]: { document_key: string; storage_key: string }[] = await m.query(
      `DELETE FROM dossier_documents d
        WHERE d.id = $1 AND d.dossier_id = $2 AND d.uploaded_by = $3 AND d.history_id IS NULL
          AND (NOT $4::boolean OR d.created_at > coalesce((SELECT max(h.at) FROM dossier_history h
                WHERE h.dossier_id = $2 AND h.to_state IS DISTINCT FROM h.from_state), '-infinity'))
        RETURNING d.document_key, d.storage_key`,
      [documentId, dossierId, uploadedBy, sinceLastMove],
    );
    return doc && { documentKey: doc.document_key, storageKey: doc.storage_key };
  }
}
