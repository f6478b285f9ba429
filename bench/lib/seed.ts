import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pool } from 'pg';
import { historyHash } from '../../src/applications/dossier';

/** A minimal valid PDF, the document every seeded dossier carries. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

export interface Demo {
  agencies: Record<string, { id: string; code: string }>;
  procedures: Record<string, { id: string; agencyId: string; versionId: string }>;
  staff: Record<string, { id: string; role: string; agencyId: string }>;
}

/** Ids of the demo agencies, procedures (and their published version) and staff, by code / email. */
export async function loadDemo(pool: Pool): Promise<Demo> {
  const agencies = await pool.query(`SELECT id, code FROM agencies`);
  const procedures = await pool.query(
    `SELECT p.code, p.id, p.agency_id, v.id AS version_id FROM procedures p JOIN procedure_versions v ON v.procedure_id = p.id AND v.published_at IS NOT NULL`,
  );
  const staff = await pool.query(
    `SELECT id, email, role, agency_id FROM accounts WHERE role IN ('clerk','supervisor')`,
  );
  return {
    agencies: Object.fromEntries(agencies.rows.map((r) => [r.code, { id: r.id, code: r.code }])),
    procedures: Object.fromEntries(
      procedures.rows.map((r) => [r.code, { id: r.id, agencyId: r.agency_id, versionId: r.version_id }]),
    ),
    staff: Object.fromEntries(
      staff.rows.map((r) => [String(r.email), { id: r.id, role: r.role, agencyId: r.agency_id }]),
    ),
  };
}

export type BenchProcedure = { id: string; agencyId: string; versionId: string };

/**
 * `n` agencies copied from the agency of `procedure` (every column but id, code and name: its calendar), each with a
 * copy of the procedure and of its published version (same form, documents and workflow): a load spread over
 * agencies, each with its own code counter. Copied row by row as JSON, so columns added later come along.
 */
export async function createAgencies(
  pool: Pool,
  n: number,
  procedure: { id: string; agencyId: string; versionId: string },
): Promise<BenchProcedure[]> {
  // Every column but generated ones (agencies.province_code), which take no value.
  const { rows: columns } = await pool.query<{ table: string; list: string }>(
    `SELECT table_name AS table, string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS list
       FROM information_schema.columns
      WHERE table_schema = current_schema() AND is_generated = 'NEVER'
        AND table_name IN ('agencies', 'procedures', 'procedure_versions')
      GROUP BY table_name`,
  );
  const list = new Map(columns.map((c) => [c.table, c.list]));
  const fields = (table: string) => list.get(table)!.replace(/(^|, )/g, '$1r.');
  const copy = (table: string, over: string) => `jsonb_populate_record(NULL::${table}, to_jsonb(src) || ${over}) r`;
  const { rows } = await pool.query(
    `WITH g AS (
       INSERT INTO agencies (${list.get('agencies')})
       SELECT ${fields('agencies')}
         FROM agencies src, generate_series(1, $1::int) i,
              LATERAL ${copy('agencies', `jsonb_build_object('id', gen_random_uuid(), 'code', 'BENCH.' || lpad(i::text, 2, '0'), 'name', src.name || ' (bench ' || i || ')')`)}
        WHERE src.id = $2
       RETURNING id, code
     ), p AS (
       INSERT INTO procedures (${list.get('procedures')})
       SELECT ${fields('procedures')}
         FROM procedures src, g,
              LATERAL ${copy('procedures', `jsonb_build_object('id', gen_random_uuid(), 'code', src.code || '-' || g.code, 'agency_id', g.id)`)}
        WHERE src.id = $3
       RETURNING id, agency_id
     ), v AS (
       INSERT INTO procedure_versions (${list.get('procedure_versions')})
       SELECT ${fields('procedure_versions')}
         FROM procedure_versions src, p,
              LATERAL ${copy('procedure_versions', `jsonb_build_object('id', gen_random_uuid(), 'procedure_id', p.id)`)}
        WHERE src.id = $4
       RETURNING id, procedure_id
     )
     SELECT p.id, p.agency_id, v.id AS version_id FROM p JOIN v ON v.procedure_id = p.id`,
    [n, procedure.agencyId, procedure.id, procedure.versionId],
  );
  return rows.map((r) => ({ id: r.id, agencyId: r.agency_id, versionId: r.version_id }));
}

export interface Citizen {
  id: string;
  locale: 'vi' | 'en';
}

/** `n` citizens in one statement (unique email, phone and ID number; no usable password: the bench mints tokens). */
export async function createCitizens(pool: Pool, n: number, tag: string): Promise<Citizen[]> {
  const { rows } = await pool.query(
    `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, role, locale)
     SELECT 'c' || g || '.' || $2 || '@bench.local', '08' || lpad(g::text, 8, '0'), 'bench-no-login',
            'Công dân ' || g, lpad((900000000000 + g)::text, 12, '0'), 'citizen', CASE WHEN g % 5 = 0 THEN 'en' ELSE 'vi' END
       FROM generate_series(1, $1::int) g
     RETURNING id, locale`,
    [n, tag],
  );
  return rows;
}

/** The one file all seeded documents point at (written once into STORAGE_DIR). */
export function writeSharedDocument(storageDir: string): { key: string; sha256: string; size: number } {
  const key = 'documents/bench/scan.pdf';
  const path = join(storageDir, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, PDF);
  return { key, sha256: createHash('sha256').update(PDF).digest('hex'), size: PDF.length };
}

export interface Draft {
  id: string;
  applicantId: string;
}

/**
 * `count` draft dossiers of one procedure, as `POST /applications` plus the
 * uploads would leave them: complete form, the required documents, and the
 * hash-chained `create` history entry. Bulk SQL, in chunks.
 */
export async function createDrafts(
  pool: Pool,
  opts: {
    procedure: { id: string; agencyId: string; versionId: string };
    citizens: Citizen[];
    count: number;
    formData: Record<string, unknown>;
    documentKeys: string[];
    document: { key: string; sha256: string; size: number };
    delivery?: Record<string, unknown>;
  },
): Promise<Draft[]> {
  const drafts: Draft[] = [];
  const CHUNK = 5000;
  for (let start = 0; start < opts.count; start += CHUNK) {
    const n = Math.min(CHUNK, opts.count - start);
    const ids: string[] = [];
    const applicants: string[] = [];
    const hashes: string[] = [];
    const ats: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const applicant = opts.citizens[(start + i) % opts.citizens.length].id;
      const at = new Date();
      const hash = historyHash(null, {
        dossierId: id,
        seq: 1,
        action: 'create',
        fromState: null,
        toState: 'draft',
        actorId: applicant,
        actorRole: 'citizen',
        comment: null,
        data: null,
        at,
      });
      ids.push(id);
      applicants.push(applicant);
      hashes.push(hash);
      ats.push(at.toISOString());
      drafts.push({ id, applicantId: applicant });
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO dossiers (id, agency_id, procedure_id, procedure_version_id, applicant_id, state, form_data, delivery,
                               history_seq, history_hash, created_at, updated_at)
         SELECT t.id, $5, $6, $7, t.applicant, 'draft', $8::jsonb, $9::jsonb, 1, t.hash, t.at, t.at
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS t(id, applicant, hash, at)`,
        [
          ids,
          applicants,
          hashes,
          ats,
          opts.procedure.agencyId,
          opts.procedure.id,
          opts.procedure.versionId,
          JSON.stringify(opts.formData),
          JSON.stringify(opts.delivery ?? { method: 'online' }),
        ],
      );
      await client.query(
        `INSERT INTO dossier_history (dossier_id, seq, action, from_state, to_state, actor_id, actor_role, at, prev_hash, hash)
         SELECT t.id, 1, 'create', NULL, 'draft', t.applicant, 'citizen', t.at, NULL, t.hash
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS t(id, applicant, hash, at)`,
        [ids, applicants, hashes, ats],
      );
      await client.query(
        `INSERT INTO dossier_documents (dossier_id, document_key, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_role)
         SELECT t.id, k.key, 'scan.pdf', 'application/pdf', $4, $5, $6, t.applicant, 'citizen'
           FROM unnest($1::uuid[], $2::uuid[]) AS t(id, applicant) CROSS JOIN unnest($3::text[]) AS k(key)`,
        [ids, applicants, opts.documentKeys, opts.document.size, opts.document.sha256, opts.document.key],
      );
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
  return drafts;
}
