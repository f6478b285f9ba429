import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import * as ts from 'typescript';
import type { DataSource } from 'typeorm';
import { historyHash, HistoryEntry } from '../../src/applications/dossier';
import { canonicalJson } from '../../src/security/canonical-json';
import { auditDossierChain, auditHistory, DossierHead, HistoryRow } from '../../src/security/history-audit';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, idem, newCitizen, staff, uploadDocument } from '../support/factories';
import { API } from './support';

/**
 * Tamper-evident history: every dossier's history rows are hash-chained, and
 * `npm run audit:verify` (scripts/audit-verify.ts over src/security/history-audit.ts)
 * recomputes every chain. Here: the pure check on hand-made chains, a clean
 * database passing, each kind of tampering found (inside a rolled-back
 * transaction), and the real command line run as a child process against
 * this suite's database, before and after one row's comment is altered.
 */

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

/** Compiles the command line and what it imports (relative imports only) to plain JS under dist/, as the build would. */
function compileCli(outDir: string): string {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        experimentalDecorators: true,
      },
      fileName: file,
    }).outputText;
    const target = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out);
    for (const m of source.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      if (new RegExp(`import type [^;]*from '${m[1].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`).test(source)) continue;
      visit(resolve(dirname(file), `${m[1]}.ts`));
    }
  };
  visit(join(ROOT, 'scripts/audit-verify.ts'));
  return join(outDir, 'scripts/audit-verify.js');
}

/** A chain of `n` rows for one dossier, as the portal writes it. */
function chain(n: number): { head: DossierHead; rows: HistoryRow[] } {
  const dossierId = '00000000-0000-4000-8000-000000000001';
  const rows: HistoryRow[] = [];
  let prev: string | null = null;
  for (let seq = 1; seq <= n; seq++) {
    const e: HistoryEntry = {
      dossierId,
      seq,
      action: seq === 1 ? 'create' : 'edit',
      fromState: seq === 1 ? null : 'draft',
      toState: 'draft',
      actorId: null,
      actorRole: 'citizen',
      comment: seq === 2 ? 'Bổ sung giấy tờ' : null,
      data: seq === 3 ? { z: 1, a: { y: [1, 2], b: null } } : null,
      at: new Date(Date.UTC(2026, 0, 1, 8, seq)),
    };
    const hash = historyHash(prev, e);
    rows.push({
      id: `00000000-0000-4000-8000-00000000010${seq}`,
      dossier_id: dossierId,
      seq,
      action: e.action,
      from_state: e.fromState,
      to_state: e.toState,
      actor_id: null,
      actor_role: e.actorRole,
      comment: e.comment,
      data: e.data,
      at: e.at,
      prev_hash: prev,
      hash,
    });
    prev = hash;
  }
  return { head: { id: dossierId, history_seq: n, history_hash: prev }, rows };
}

describe('tamper-evident dossier history (npm run audit:verify)', () => {
  describe('the check of one chain (pure)', () => {
    it('an intact chain has no finding, its rows in any order', () => {
      const { head, rows } = chain(4);
      expect(auditDossierChain(head, rows)).toEqual([]);
      expect(auditDossierChain(head, [...rows].reverse())).toEqual([]);
      expect(auditDossierChain({ id: head.id, history_seq: 0, history_hash: null }, [])).toEqual([]);
    });

    it('the hash is over the stored form: object keys in any order give the same hash (jsonb reorders them)', () => {
      const { head, rows } = chain(4);
      rows[2] = { ...rows[2], data: { a: { b: null, y: [1, 2] }, z: 1 } };
      expect(auditDossierChain(head, rows)).toEqual([]);
    });

    it.each([
      [
        'a comment altered',
        (r: HistoryRow[]) => {
          r[1] = { ...r[1], comment: 'Đã bổ sung' };
        },
        [['hash', 2]],
      ],
      [
        'data altered',
        (r: HistoryRow[]) => {
          r[2] = { ...r[2], data: { z: 2, a: { y: [1, 2], b: null } } };
        },
        [['hash', 3]],
      ],
      [
        'the time moved',
        (r: HistoryRow[]) => {
          r[1] = { ...r[1], at: new Date(r[1].at.getTime() + 1) };
        },
        [['hash', 2]],
      ],
      [
        'the actor changed',
        (r: HistoryRow[]) => {
          r[0] = { ...r[0], actor_role: 'admin' };
        },
        [['hash', 1]],
      ],
      [
        'a row removed',
        (r: HistoryRow[]) => {
          r.splice(1, 1);
        },
        [
          ['gap', 3],
          ['link', 3],
        ],
      ],
      [
        'a row altered and its hash recomputed',
        (r: HistoryRow[]) => {
          const e = { ...r[1], comment: 'forged' };
          e.hash = historyHash(e.prev_hash, {
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
          r[1] = e;
        },
        [['link', 3]],
      ],
    ] as const)('finds %s, at the row concerned', (_what, tamper, expected) => {
      const { head, rows } = chain(4);
      tamper(rows);
      const found = auditDossierChain(head, rows).map((f) => [f.kind, f.seq]);
      expect(found).toEqual(expected);
    });

    it('finds a head that disagrees with the last row (the last row deleted, or the head moved)', () => {
      const { head, rows } = chain(3);
      expect(auditDossierChain(head, rows.slice(0, 2)).map((f) => f.kind)).toEqual(['head']);
      expect(auditDossierChain({ ...head, history_hash: 'f'.repeat(64) }, rows).map((f) => f.kind)).toEqual(['head']);
    });
  });

  describe('on a database', () => {
    let t: TestApp;
    let dossierIds: string[];
    let cli: { script: string; outDir: string };
    const audit = (db: { query: DataSource['query'] } = t.db) =>
      auditHistory((sql, p) => db.query(sql, p), { batchSize: 2 });

    beforeAll(async () => {
      t = await createTestApp();
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'bennghe');
      dossierIds = [];
      // Three birth-extract dossiers taken through several steps, with action data whose keys jsonb stores in another order.
      for (let i = 0; i < 3; i++) {
        const d = await t.http
          .post(`${API}/applications`)
          .set(citizen.auth)
          .send({
            procedureCode: DEMO.birthExtract,
            formData: { fullName: 'Vũ Thị Lan', dateOfBirth: '1995-07-14', copies: 1 + i },
          })
          .expect(201);
        await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
        await t.http.post(`${API}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
        await t.http
          .post(`${API}/applications/${d.body.id}/actions/receive`)
          .set(clerk.auth)
          .send({
            comment: `Tiếp nhận hồ sơ ${i} — “đủ”`,
            data: { zeta: 1, alpha: { b: 2, a: [3, { y: 1, x: 2 }] }, 10: 'mười', b: 'y', ngàyHẹn: '2026-12-01' },
          })
          .expect(200);
        if (i > 0)
          await t.http
            .post(`${API}/applications/${d.body.id}/actions/complete`)
            .set(clerk.auth)
            .send({ comment: 'Hoàn thành' })
            .expect(200);
        dossierIds.push(d.body.id);
      }
      await t.drain();
      cli = { outDir: join(ROOT, 'dist', `.audit-verify-test-${process.pid}`), script: '' };
      cli.script = compileCli(cli.outDir);
    });
    afterAll(async () => {
      rmSync(cli?.outDir ?? '/nonexistent', { recursive: true, force: true });
      await t.close();
    });

    it('a clean database passes: every chain intact, the receipts and reordered action data included', async () => {
      const r = await audit();
      expect(r.findings).toEqual([]);
      expect(r.problems).toBe(0);
      // create, submit, receive; and complete for two of them.
      expect({ dossiers: r.dossiers, rows: r.rows }).toEqual({ dossiers: 3, rows: 3 * 3 + 2 });
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM dossier_history WHERE data ? 'receipt'`);
      expect(n).toBe(3);
    });

    it('the hashed form survives PostgreSQL jsonb: any JSON value hashes the same before it is stored and after it is read back', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('\\u0000')),
          async (v) => {
            const [{ back }] = await t.db.query(`SELECT $1::jsonb AS back`, [JSON.stringify(v)]);
            expect(canonicalJson(back)).toBe(canonicalJson(v));
          },
        ),
        { numRuns: 300, seed: 20261123 },
      );
    });

    /** Runs `tamper` and the audit in one transaction, then rolls it back. */
    async function tampered(tamper: (q: (sql: string, p?: unknown[]) => Promise<unknown>) => Promise<void>) {
      const qr = t.db.createQueryRunner();
      await qr.connect();
      await qr.startTransaction();
      try {
        await tamper((sql, p) => qr.query(sql, p));
        return await auditHistory((sql, p) => qr.query(sql, p), { batchSize: 2 });
      } finally {
        await qr.rollbackTransaction();
        await qr.release();
      }
    }

    const rowOf = async (dossierId: string, seq: number): Promise<{ id: string; comment: string | null }> =>
      (
        await t.db.query(`SELECT id, comment FROM dossier_history WHERE dossier_id = $1 AND seq = $2`, [dossierId, seq])
      )[0];

    it('one comment altered with SQL: exactly that row is reported', async () => {
      const row = await rowOf(dossierIds[1], 3);
      const r = await tampered((q) =>
        q(`UPDATE dossier_history SET comment = 'Từ chối' WHERE id = $1`, [row.id]).then(() => undefined),
      );
      expect(r.findings).toEqual([
        expect.objectContaining({ kind: 'hash', dossierId: dossierIds[1], historyId: row.id, seq: 3 }),
      ]);
      expect(r.problems).toBe(1);
    });

    it.each([
      [
        'the data of the receipt (due date moved)',
        `UPDATE dossier_history SET data = jsonb_set(data, '{receipt,dueAt}', '"2099-01-01T00:00:00.000Z"') WHERE id = $1`,
        ['hash'],
      ],
      ['the time of a step', `UPDATE dossier_history SET at = at - interval '1 day' WHERE id = $1`, ['hash']],
      ['who did it', `UPDATE dossier_history SET actor_role = 'supervisor' WHERE id = $1`, ['hash']],
      [
        'its hash, recomputed by a forger over other content',
        `UPDATE dossier_history SET comment = 'x', hash = md5('x') || md5('y') WHERE id = $1`,
        ['hash', 'link'],
      ],
    ])('finds an altered row: %s', async (_what, sql, kinds) => {
      const row = await rowOf(dossierIds[2], 3);
      const r = await tampered((q) => q(sql, [row.id]).then(() => undefined));
      expect(r.findings.map((f) => [f.kind, f.dossierId])).toEqual(kinds.map((k) => [k, dossierIds[2]]));
      expect(r.findings[0].historyId).toBe(row.id);
    });

    it('finds a removed row (a gap, a broken link) and a moved head', async () => {
      const gone = await tampered(async (q) => {
        await q(`UPDATE dossier_documents SET history_id = NULL WHERE dossier_id = $1`, [dossierIds[0]]);
        await q(`DELETE FROM dossier_history WHERE dossier_id = $1 AND seq = 2`, [dossierIds[0]]);
      });
      expect(gone.findings.map((f) => [f.kind, f.seq])).toEqual([
        ['gap', 3],
        ['link', 3],
      ]);
      const last = await tampered((q) =>
        q(
          `DELETE FROM dossier_history WHERE dossier_id = $1 AND seq = (SELECT max(seq) FROM dossier_history WHERE dossier_id = $1)`,
          [dossierIds[2]],
        ).then(() => undefined),
      );
      expect(last.findings.map((f) => [f.kind, f.dossierId])).toEqual([['head', dossierIds[2]]]);
      const head = await tampered((q) =>
        q(`UPDATE dossiers SET history_seq = history_seq + 1 WHERE id = $1`, [dossierIds[1]]).then(() => undefined),
      );
      expect(head.findings.map((f) => [f.kind, f.dossierId])).toEqual([['head', dossierIds[1]]]);
    });

    it('the command line (scripts/audit-verify.ts, compiled): exit 0 when clean, 1 naming the altered row, 0 again once restored', async () => {
      const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL! };
      const clean = await run(process.execPath, [cli.script], { env });
      expect(clean.stdout.trim().split('\n')).toEqual([
        expect.stringMatching(/^audit:verify: OK, \d+ dossier\(s\), \d+ history row\(s\) checked, every chain intact$/),
      ]);

      const row = await rowOf(dossierIds[0], 2);
      await t.db.query(`UPDATE dossier_history SET comment = 'sửa lén' WHERE id = $1`, [row.id]);
      try {
        const failed = await run(process.execPath, [cli.script], { env }).then(
          () => {
            throw new Error('audit:verify exited 0 on a tampered database');
          },
          (e: { code: number; stdout: string }) => e,
        );
        expect(failed.code).toBe(1);
        const lines = failed.stdout.trim().split('\n');
        expect(lines).toHaveLength(2);
        expect(lines[0]).toContain(row.id);
        expect(lines[0]).toMatch(/^hash /);
        expect(lines[1]).toMatch(
          /^audit:verify: FAILED, \d+ dossier\(s\), \d+ history row\(s\) checked, 1 problem\(s\) found$/,
        );
      } finally {
        await t.db.query(`UPDATE dossier_history SET comment = $2 WHERE id = $1`, [row.id, row.comment]);
      }
      expect((await run(process.execPath, [cli.script], { env })).stdout).toMatch(/^audit:verify: OK/);

      const noUrl = await run(process.execPath, [cli.script], { env: { ...env, DATABASE_URL: '' } }).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(noUrl).toMatchObject({ code: 2, stderr: expect.stringContaining('DATABASE_URL is not set') });
    });
  });
});
