import { ConfigModule } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import type { AuthUser } from '../auth/auth-user';
import { NotFound, ValidationFailed } from '../common/problem';
import { validateEnvironment } from '../config/configuration';
import { dataSourceOptions } from '../database/data-source';
import { OutboxModule } from '../outbox/outbox.module';
import { StorageModule } from '../storage/storage.module';
import { InvalidTransitionError } from '../workflow/errors';
import { ApplicationsModule } from './applications.module';
import { ApplicationsService, scopeClause } from './applications.service';
import { DossierRepository } from './dossier.repository';
import { DossierEffects, EffectHandler, PORT_EFFECTS } from './effects';

/**
 * The dossier module against real Postgres, without HTTP: scope (who sees
 * which dossier), the gap-free code counter, and the row lock that makes two
 * concurrent moves of one dossier one success and one refusal. The effect
 * port is given no-op handlers that count their calls.
 */
describe('dossiers on Postgres', () => {
  let dbName: string;
  let moduleRef: TestingModule;
  let db: DataSource;
  let repo: DossierRepository;
  let service: ApplicationsService;
  const applied: string[] = [];

  const account = async (email: string): Promise<AuthUser> => {
    const [a] = await db.query(`SELECT id, role, agency_id AS "agencyId" FROM accounts WHERE email = $1`, [email]);
    return a as AuthUser;
  };

  /** A dossier of a demo procedure put straight into `state` (submitted or not). */
  async function dossierIn(procedureCode: string, applicant: AuthUser, state: string, submitted: boolean) {
    const [p] = await db.query(
      `SELECT p.id, p.agency_id, v.id AS version_id FROM procedures p JOIN procedure_versions v ON v.procedure_id = p.id
        WHERE p.code = $1 AND v.published_at IS NOT NULL ORDER BY v.version DESC LIMIT 1`,
      [procedureCode],
    );
    const id = await db.transaction((m) =>
      repo.insert(m, {
        agencyId: p.agency_id,
        procedureId: p.id,
        procedureVersionId: p.version_id,
        applicantId: applicant.id,
        state,
        formData: {},
        delivery: { method: 'online' },
      }),
    );
    if (submitted) await db.query(`UPDATE dossiers SET submitted_at = now() WHERE id = $1`, [id]);
    return id;
  }

  beforeAll(async () => {
    const created = await createSuiteDatabase();
    dbName = created.name;
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: (env) => validateEnvironment({ ...env, DATABASE_URL: created.url }),
        }),
        TypeOrmModule.forRoot(dataSourceOptions(created.url)),
        OutboxModule,
        StorageModule,
        ApplicationsModule,
      ],
    }).compile();
    db = moduleRef.get(DataSource);
    repo = moduleRef.get(DossierRepository);
    service = moduleRef.get(ApplicationsService);
    const noop = (effect: EffectHandler['effect']): EffectHandler => ({
      effect,
      apply: () => {
        applied.push(effect);
        return Promise.resolve();
      },
    });
    moduleRef.get(DossierEffects).register(...PORT_EFFECTS.map(noop));
  });

  afterAll(async () => {
    await moduleRef?.close();
    if (dbName) await dropDatabase(dbName);
  });

  describe('scope', () => {
    it('a citizen sees only their own dossiers; a clerk only the agency’s submitted ones; an admin all', async () => {
      const an = await account('an.nguyen@demo.local');
      const binh = await account('binh.tran@demo.local');
      const benNghe = await account('clerk.bennghe@demo.local');
      const quan1 = await account('clerk.quan1@demo.local');
      const adm = await account('admin@demo.local');
      const draft = await dossierIn('1.004884', an, 'draft', false);
      const filed = await dossierIn('1.004884', an, 'submitted', true);

      await expect(service.find(an, draft)).resolves.toMatchObject({ id: draft });
      await expect(service.find(binh, draft)).rejects.toBeInstanceOf(NotFound);
      // Never submitted: the agency's staff do not see it (the workflow does not let them edit a draft).
      await expect(service.find(benNghe, draft)).rejects.toBeInstanceOf(NotFound);
      await expect(service.find(benNghe, filed)).resolves.toMatchObject({ id: filed });
      await expect(service.find(quan1, filed)).rejects.toBeInstanceOf(NotFound);
      await expect(service.find(adm, draft)).resolves.toMatchObject({ id: draft });

      const ids = async (u: AuthUser) => (await repo.page(scopeClause(u, 2), 1000, null)).map((r) => r.id);
      expect(await ids(an)).toEqual(expect.arrayContaining([draft, filed]));
      expect(await ids(binh)).not.toContain(filed);
      expect(await ids(benNghe)).toContain(filed);
      expect(await ids(benNghe)).not.toContain(draft);
      expect(await ids(quan1)).not.toContain(filed);
    });
  });

  describe('the read of one dossier in one statement', () => {
    it('answers what the row and its surroundings read apart answer, within the same scope', async () => {
      const an = await account('an.nguyen@demo.local');
      const users = await Promise.all(
        [
          'an.nguyen@demo.local',
          'binh.tran@demo.local',
          'clerk.bennghe@demo.local',
          'clerk.quan1@demo.local',
          'admin@demo.local',
        ].map(account),
      );
      const draft = await dossierIn('1.004884', an, 'draft', false);
      const filed = await dossierIn('1.004884', an, 'submitted', true);
      const clerk = users[2];
      await db.query(`INSERT INTO dossier_ratings (dossier_id, score, comment) VALUES ($1, 4, 'nhanh')`, [filed]);
      await db.query(
        `INSERT INTO dossier_apologies (dossier_id, new_due_at, issued_by, reason) VALUES ($1, now() + interval '2 days', $2, 'quá tải')`,
        [filed, clerk.id],
      );
      let seen = 0;
      for (const user of users) {
        for (const id of [draft, filed]) {
          const scope = scopeClause(user, 2);
          const one = await repo.findScopedWithSurroundings(id, scope);
          const row = await repo.findScoped(null, id, scope, false);
          if (!row) {
            expect(one).toBeUndefined();
            continue;
          }
          seen++;
          expect(one).toEqual({ row, surroundings: (await repo.surroundings(null, [id])).get(id) });
        }
      }
      // Someone saw each, someone did not: the comparison covered both answers.
      expect(seen).toBeGreaterThan(1);
      expect(seen).toBeLessThan(users.length * 2);
      const filedRead = await repo.findScopedWithSurroundings(filed, scopeClause(an, 2));
      expect(filedRead?.surroundings).toMatchObject({
        rating: { score: 4, comment: 'nhanh' },
        apologies: [{ reason: 'quá tải' }],
        payment: null,
        supplementRounds: 0,
      });
      expect(filedRead?.row).not.toHaveProperty('rating');
    });
  });

  describe('the per-agency per-day code counter', () => {
    it('hands out 1..n without a gap or a repeat under concurrency; a rolled-back number is handed out again', async () => {
      const [agency] = await db.query(`SELECT id FROM agencies WHERE code = '000.00.01.H56'`);
      const day = '2031-01-02';
      const n = 12;
      const numbers = await Promise.all(
        Array.from({ length: n }, () => db.transaction((m) => repo.nextCodeNumber(m, agency.id, day))),
      );
      expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));

      await expect(
        db.transaction(async (m) => {
          expect(await repo.nextCodeNumber(m, agency.id, day)).toBe(n + 1);
          throw new Error('the submission failed');
        }),
      ).rejects.toThrow('the submission failed');
      expect(await db.transaction((m) => repo.nextCodeNumber(m, agency.id, day))).toBe(n + 1);
      // Another agency, or another day, counts on its own.
      expect(await db.transaction((m) => repo.nextCodeNumber(m, agency.id, '2031-01-03'))).toBe(1);
    });
  });

  describe('the code is taken last in the submitting transaction', () => {
    /** A complete draft of 1.004884 (form and its required document), as the uploads would leave it. */
    async function completeDraft(applicant: AuthUser): Promise<string> {
      const [p] = await db.query(
        `SELECT p.id, p.agency_id, v.id AS version_id FROM procedures p JOIN procedure_versions v ON v.procedure_id = p.id
          WHERE p.code = '1.004884' AND v.published_at IS NOT NULL ORDER BY v.version DESC LIMIT 1`,
      );
      const id = await db.transaction((m) =>
        repo.insert(m, {
          agencyId: p.agency_id,
          procedureId: p.id,
          procedureVersionId: p.version_id,
          applicantId: applicant.id,
          state: 'draft',
          formData: { fullName: 'Nguyễn Văn An', dateOfBirth: '1990-01-01', copies: 1 },
          delivery: { method: 'online' },
        }),
      );
      await db.query(
        `INSERT INTO dossier_documents (dossier_id, document_key, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_role)
         VALUES ($1, 'id_card', 'cccd.pdf', 'application/pdf', 10, repeat('0', 64), 'documents/test/cccd.pdf', $2, 'citizen')`,
        [id, applicant.id],
      );
      return id;
    }

    it('many submissions of one agency at once: unique codes with no gap; a submission failing at the last statement gives its number back', async () => {
      const an = await account('an.nguyen@demo.local');
      // One submission first: the procedure's version is then cached (a cold cache reads it on a second connection).
      await service.submit(an, await completeDraft(an), 'parallel-first');
      const n = 24;
      const drafts = await Promise.all(Array.from({ length: n }, () => completeDraft(an)));
      const twins = await Promise.all([completeDraft(an), completeDraft(an)]);
      const settled = await Promise.allSettled([
        ...drafts.map((id, i) => service.submit(an, id, `parallel-${i}`)),
        // Two dossiers under one Idempotency-Key: one is submitted, the other refused (400), whenever it fails.
        ...twins.map((id) => service.submit(an, id, 'parallel-twin')),
      ]);
      const failed = settled.filter((r) => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(failed[0].reason).toBeInstanceOf(ValidationFailed);

      const rows: { id: string; code: string | null; state: string; agency_id: string }[] = await db.query(
        `SELECT id, code, state, agency_id FROM dossiers WHERE id = ANY($1)`,
        [[...drafts, ...twins]],
      );
      const submitted = rows.filter((r) => r.state !== 'draft');
      expect(submitted).toHaveLength(n + 1);
      expect(rows.filter((r) => r.state === 'draft' && r.code === null)).toHaveLength(1);
      // One prefix (agency, day), numbers consecutive and unique, and the counter stopped at the last one.
      const codes = submitted.map((r) => r.code!);
      expect(new Set(codes.map((c) => c.slice(0, -4))).size).toBe(1);
      const numbers = codes.map((c) => Number(c.slice(-4))).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: n + 1 }, (_, i) => numbers[0] + i));
      const yymmdd = codes[0].split('-').at(-2)!;
      const [counter] = await db.query(
        `SELECT last_value FROM dossier_code_counters WHERE agency_id = $1 AND day = $2::date`,
        [submitted[0].agency_id, `20${yymmdd.slice(0, 2)}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4)}`],
      );
      expect(counter.last_value).toBe(numbers[n]);

      // Each answer, as returned and as kept for a repeat, carries the dossier's code.
      const answers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value.body] : []));
      for (const body of answers) expect(body.code).toBe(rows.find((r) => r.id === body.id)!.code);
      const repeat = await service.submit(an, drafts[0], 'parallel-0');
      expect(repeat.body.code).toBe(rows.find((r) => r.id === drafts[0])!.code);
    });
  });

  describe('one move at a time (row lock, then the state is checked again)', () => {
    it('two clerks receiving one dossier at once: one moves it, the other is refused; one history entry', async () => {
      const an = await account('an.nguyen@demo.local');
      const clerk = await account('clerk.bennghe@demo.local');
      const supervisor = await account('supervisor.bennghe@demo.local');
      const id = await dossierIn('1.004884', an, 'submitted', true);
      const results = await Promise.allSettled([
        service.act(clerk, id, 'receive', {}),
        service.act(supervisor, id, 'receive', {}),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(InvalidTransitionError);
      const [{ n }] = await db.query(
        `SELECT count(*)::int AS n FROM dossier_history WHERE dossier_id = $1 AND action = 'receive'`,
        [id],
      );
      expect(n).toBe(1);
    });

    it('one event delivered twice at once: the system action is taken once, by the system actor', async () => {
      const binh = await account('binh.tran@demo.local');
      const id = await dossierIn('2.001417', binh, 'awaiting_payment', true);
      applied.length = 0;
      const moved = await Promise.all([
        service.trigger(id, 'payment.succeeded', { attemptId: 'a1' }),
        service.trigger(id, 'payment.succeeded', { attemptId: 'a1' }),
      ]);
      expect(moved.filter(Boolean)).toHaveLength(1);
      const rows = await db.query(
        `SELECT actor_id, actor_role, data FROM dossier_history WHERE dossier_id = $1 AND from_state = 'awaiting_payment'`,
        [id],
      );
      expect(rows).toEqual([{ actor_id: null, actor_role: 'system', data: { attemptId: 'a1' } }]);
      const [head] = await db.query(`SELECT history_seq FROM dossiers WHERE id = $1`, [id]);
      expect(head.history_seq).toBe(1);
    });
  });
});
