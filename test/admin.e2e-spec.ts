import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, idem, login, newCitizen, Session, staff } from './support/factories';

/**
 * Administration: who may use /admin at all, agencies with their calendars,
 * staff accounts, procedures and their versions (definition checks at
 * publish, immutability once published, dossiers pinned to their version).
 */

const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

type Problem = { field: string; message: string };

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

/** A small valid workflow: submit, receive (starts the clock), refuse or complete. */
function goodWorkflow(receiveEffects: string[] = ['startClock', 'issueReceipt']) {
  return {
    states: [
      { key: 'draft', start: true, editableBy: ['citizen'] },
      { key: 'submitted', clock: 'stopped' },
      { key: 'processing', clock: 'running' },
      { key: 'completed', terminal: true },
      { key: 'refused', terminal: true },
      // Waiting for the citizen's payment after approval: the clock is paused, not stopped.
      { key: 'awaiting_payment', clock: 'paused' },
    ],
    actions: [
      { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
      { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: receiveEffects },
      { key: 'refuse', from: ['submitted'], to: 'refused', by: ['clerk'], requires: ['comment'] },
      // The fee is collected after approval: approving opens it, the confirmed payment completes.
      { key: 'complete', from: ['processing'], to: 'awaiting_payment', by: ['clerk'], effects: ['requirePayment'] },
      {
        key: 'payment_confirmed',
        from: ['awaiting_payment'],
        to: 'completed',
        by: ['system'],
        trigger: 'payment.succeeded',
      },
    ],
  };
}

const FORM_V1 = {
  type: 'object',
  properties: { fullName: { type: 'string', minLength: 1 }, note: { type: 'string' } },
  required: ['fullName'],
  additionalProperties: false,
};

function versionBody(over: Record<string, unknown> = {}) {
  return {
    formSchema: FORM_V1,
    requiredDocuments: [{ key: 'id_card', name: 'Căn cước công dân', required: false }],
    fees: [{ kind: 'fee', name: 'Lệ phí', amount: 50000 }],
    feeTiming: 'after_approval',
    processingDays: 5,
    deliveryOptions: ['online', 'post'],
    workflow: goodWorkflow(),
    ...over,
  };
}

describe('administration', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
  });
  afterAll(() => t.close());

  const count = async (table: string): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  async function newAgency(): Promise<string> {
    const code = `T.${uid()}`;
    await t.http
      .post('/api/v1/admin/agencies')
      .set(adm.auth)
      .send({ code, name: `Cơ quan thử ${code}` })
      .expect(201);
    return code;
  }

  /** A procedure with one version, published or not. */
  async function newProcedure(
    agencyCode: string = DEMO.agencies.quan1,
    opts: { publish?: boolean; version?: Record<string, unknown> } = {},
  ) {
    const code = `TP-${uid()}`;
    await t.http
      .post('/api/v1/admin/procedures')
      .set(adm.auth)
      .send({ code, name: `Thủ tục ${code}`, agencyCode, level: 'full' })
      .expect(201);
    const v = await t.http
      .post(`/api/v1/admin/procedures/${code}/versions`)
      .set(adm.auth)
      .send(versionBody(opts.version))
      .expect(201);
    expect(v.body.version).toBe(1);
    if (opts.publish ?? true)
      await t.http.post(`/api/v1/admin/procedures/${code}/versions/1/publish`).set(adm.auth).expect(200);
    return code;
  }

  describe('access to /admin', () => {
    const routes: [string, string, (code: string) => unknown][] = [
      ['get', '/api/v1/admin/agencies', () => undefined],
      ['post', '/api/v1/admin/agencies', () => ({ code: `X.${uid()}`, name: 'Sneaky' })],
      ['patch', `/api/v1/admin/agencies/${DEMO.agencies.quan1}`, () => ({ name: 'Renamed by a stranger' })],
      ['get', '/api/v1/admin/staff', () => undefined],
      [
        'post',
        '/api/v1/admin/staff',
        () => ({ email: `sneaky-${uid()}@example.vn`, password: 'Sneaky-pass-1', role: 'admin' }),
      ],
      [
        'post',
        '/api/v1/admin/procedures',
        () => ({ code: `X-${uid()}`, name: 'Sneaky', agencyCode: DEMO.agencies.quan1, level: 'full' }),
      ],
      ['get', `/api/v1/admin/procedures/${DEMO.birthExtract}/versions`, () => undefined],
      ['post', `/api/v1/admin/procedures/${DEMO.birthExtract}/versions`, () => versionBody()],
      ['post', `/api/v1/admin/procedures/${DEMO.birthExtract}/versions/1/publish`, () => undefined],
    ];
    const send = (method: string, path: string, body: unknown, auth?: Record<string, string>) => {
      const req = (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path);
      if (auth) req.set(auth);
      return body === undefined ? req : req.send(body as object);
    };
    const snapshot = async () => ({
      agencies: await count('agencies'),
      accounts: await count('accounts'),
      procedures: await count('procedures'),
      versions: await count('procedure_versions'),
      quan1: (await t.db.query(`SELECT name FROM agencies WHERE code = $1`, [DEMO.agencies.quan1]))[0].name,
    });

    it.each([
      ['a citizen', () => login(t, 'an.nguyen@demo.local')],
      ['a clerk', () => staff(t, 'clerk', 'bennghe')],
      ['a supervisor', () => staff(t, 'supervisor', 'sotuphap')],
      ['a freshly registered citizen', () => newCitizen(t)],
    ])('refuses %s with 403 problem+json on every admin route, writing nothing', async (_who, session) => {
      const s = await session();
      const before = await snapshot();
      for (const [method, path, body] of routes) {
        const res = await send(method, path, body(''), s.auth);
        expectProblem(res, 403);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('refuses anonymous callers and bad tokens with 401 problem+json on every admin route', async () => {
      const before = await snapshot();
      for (const [method, path, body] of routes) {
        expectProblem(await send(method, path, body('')), 401);
        expectProblem(await send(method, path, body(''), { Authorization: 'Bearer garbage' }), 401);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('lets the admin in', async () => {
      const res = await t.http.get('/api/v1/admin/agencies').set(adm.auth).expect(200);
      expect(res.body.map((a: { code: string }) => a.code)).toEqual(
        expect.arrayContaining(Object.values(DEMO.agencies)),
      );
    });
  });

  describe('agencies', () => {
    it('creates an agency without a calendar: it gets the national default (8 working hours, Mon-Fri)', async () => {
      const code = `T.${uid()}`;
      const res = await t.http
        .post('/api/v1/admin/agencies')
        .set(adm.auth)
        .send({ code, name: 'UBND Phường Thử' })
        .expect(201);
      expect(res.body).toMatchObject({ id: expect.any(String), code, name: 'UBND Phường Thử' });
      expect(res.body.calendar).toMatchObject({
        utcOffsetMinutes: 420,
        workingWeekdays: [1, 2, 3, 4, 5],
        officeHours: [
          { start: '07:00', end: '11:30' },
          { start: '13:30', end: '17:00' },
        ],
        holidays: [],
      });
      const [row] = await t.db.query(`SELECT name, calendar FROM agencies WHERE code = $1`, [code]);
      expect(row).toEqual({ name: 'UBND Phường Thử', calendar: res.body.calendar });
      const list = await t.http.get('/api/v1/admin/agencies').set(adm.auth).expect(200);
      expect(list.body.map((a: { code: string }) => a.code)).toContain(code);
    });

    it('creates an agency with its own calendar (office hours, Saturday mornings, holidays)', async () => {
      const code = `T.${uid()}`;
      const calendar = {
        officeHours: [
          { start: '08:00', end: '12:00' },
          { start: '13:00', end: '17:00' },
        ],
        workingWeekdays: [1, 2, 3, 4, 5, 6],
        holidays: ['2026-09-02', '2027-01-01'],
        extraWorkingDays: ['2026-05-09'],
      };
      const res = await t.http
        .post('/api/v1/admin/agencies')
        .set(adm.auth)
        .send({ code, name: 'Trung tâm Phục vụ hành chính công', calendar })
        .expect(201);
      expect(res.body.calendar).toMatchObject({ ...calendar, utcOffsetMinutes: 420 });
      const [row] = await t.db.query(`SELECT calendar FROM agencies WHERE code = $1`, [code]);
      expect(row.calendar).toMatchObject(calendar);
    });

    it('refuses an invalid calendar with 422 listing every problem, and writes nothing', async () => {
      const code = `T.${uid()}`;
      const before = await count('agencies');
      const res = await t.http
        .post('/api/v1/admin/agencies')
        .set(adm.auth)
        .send({
          code,
          name: 'Lịch sai',
          calendar: {
            officeHours: [
              { start: '17:00', end: '08:00' },
              { start: '25:00', end: '26:00' },
            ],
            workingWeekdays: [1, 2, 9],
            holidays: ['2026-02-30'],
            lunchBreak: true,
          },
        });
      expectProblem(res, 422);
      const messages = (res.body.errors as Problem[]).map((e) => e.message);
      expect(res.body.errors.every((e: Problem) => e.field.startsWith('calendar'))).toBe(true);
      for (const problem of [
        /^officeHours\[0\]: end/,
        /^officeHours\[1\]\.start/,
        /^workingWeekdays\[2\]/,
        /^holidays\[0\]/,
        /^lunchBreak: unknown property/,
      ]) {
        expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
      }
      expect(await count('agencies')).toBe(before);
      expect(await t.db.query(`SELECT 1 FROM agencies WHERE code = $1`, [code])).toHaveLength(0);
    });

    it('refuses a duplicate code with 409 and leaves the first agency as it was', async () => {
      const code = await newAgency();
      const res = await t.http.post('/api/v1/admin/agencies').set(adm.auth).send({ code, name: 'Bản sao' });
      expectProblem(res, 409);
      expect(res.body.detail).toContain(code);
      const rows = await t.db.query(`SELECT name FROM agencies WHERE code = $1`, [code]);
      expect(rows).toEqual([{ name: `Cơ quan thử ${code}` }]);
    });

    it('refuses a malformed agency with 400 naming each field', async () => {
      const res = await t.http
        .post('/api/v1/admin/agencies')
        .set(adm.auth)
        .send({ code: 'has spaces', name: '', calendar: 'weekdays' });
      expectProblem(res, 400);
      const fields = (res.body.errors as Problem[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['code', 'name', 'calendar']));
    });

    it('a partial calendar on update changes only what it names', async () => {
      const code = `T.${uid()}`;
      const calendar = {
        officeHours: [
          { start: '08:00', end: '12:00' },
          { start: '13:00', end: '17:00' },
        ],
        workingWeekdays: [1, 2, 3, 4, 5, 6],
        holidays: [],
      };
      await t.http
        .post('/api/v1/admin/agencies')
        .set(adm.auth)
        .send({ code, name: 'Làm thứ Bảy', calendar })
        .expect(201);
      const res = await t.http
        .patch(`/api/v1/admin/agencies/${code}`)
        .set(adm.auth)
        .send({ calendar: { holidays: ['2026-12-24'] } })
        .expect(200);
      expect(res.body.calendar).toMatchObject({ ...calendar, holidays: ['2026-12-24'] });
      const [row] = await t.db.query(`SELECT name, calendar FROM agencies WHERE code = $1`, [code]);
      expect(row).toMatchObject({ name: 'Làm thứ Bảy', calendar: { ...calendar, holidays: ['2026-12-24'] } });
    });

    it('updates an agency; an invalid calendar on update is refused and changes nothing', async () => {
      const code = await newAgency();
      const ok = await t.http
        .patch(`/api/v1/admin/agencies/${code}`)
        .set(adm.auth)
        .send({ name: 'Tên mới', calendar: { holidays: ['2026-12-24'] } })
        .expect(200);
      expect(ok.body).toMatchObject({ code, name: 'Tên mới', calendar: { holidays: ['2026-12-24'] } });
      const bad = await t.http
        .patch(`/api/v1/admin/agencies/${code}`)
        .set(adm.auth)
        .send({ name: 'Không được đổi', calendar: { workingWeekdays: [7] } });
      expectProblem(bad, 422);
      const [row] = await t.db.query(`SELECT name, calendar FROM agencies WHERE code = $1`, [code]);
      expect(row.name).toBe('Tên mới');
      expect(row.calendar.workingWeekdays).toEqual([1, 2, 3, 4, 5]);
      expectProblem(
        await t.http.patch(`/api/v1/admin/agencies/NO.SUCH.${uid()}`).set(adm.auth).send({ name: 'x' }),
        404,
      );
    });
  });

  describe('staff', () => {
    it('creates a clerk who can log in, whose token carries their agency, and whose queue works', async () => {
      const agencyCode = await newAgency();
      const email = `clerk-${uid()}@example.vn`;
      const res = await t.http
        .post('/api/v1/admin/staff')
        .set(adm.auth)
        .send({
          email: email.toUpperCase(),
          password: 'Clerk-pass-2026',
          role: 'clerk',
          agencyCode,
          fullName: 'Cán bộ Thử',
        })
        .expect(201);
      expect(res.body).toEqual({ id: expect.any(String), email, role: 'clerk', agencyCode });
      const [row] = await t.db.query(
        `SELECT a.role, a.password_hash, g.id AS agency_id, g.code FROM accounts a JOIN agencies g ON g.id = a.agency_id WHERE a.id = $1`,
        [res.body.id],
      );
      expect(row).toMatchObject({ role: 'clerk', code: agencyCode });
      expect(row.password_hash.startsWith('$argon2id$')).toBe(true);

      const clerk = await login(t, email, 'Clerk-pass-2026');
      const claims = JSON.parse(Buffer.from(clerk.token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: res.body.id, role: 'clerk', agency: row.agency_id });
      const queue = await t.http.get('/api/v1/queue').set(clerk.auth).expect(200);
      expect(queue.body.items).toEqual([]);

      const listed = await t.http.get(`/api/v1/admin/staff?agencyCode=${agencyCode}`).set(adm.auth).expect(200);
      expect(listed.body).toEqual([expect.objectContaining({ id: res.body.id, email, role: 'clerk', agencyCode })]);
    });

    it("a new agency's clerk sees a dossier filed at that agency; another agency's clerk does not", async () => {
      const agencyCode = await newAgency();
      const email = `clerk-${uid()}@example.vn`;
      await t.http
        .post('/api/v1/admin/staff')
        .set(adm.auth)
        .send({ email, password: 'Clerk-pass-2026', role: 'clerk', agencyCode })
        .expect(201);
      const procedureCode = await newProcedure(agencyCode);
      const citizen = await newCitizen(t);
      const draft = await t.http
        .post('/api/v1/applications')
        .set(citizen.auth)
        .send({ procedureCode, formData: { fullName: 'Lê Thị Hoa' } })
        .expect(201);
      const submitted = await t.http
        .post(`/api/v1/applications/${draft.body.id}/submit`)
        .set(citizen.auth)
        .set(idem())
        .expect(200);
      expect(submitted.body.code).toMatch(new RegExp(`^${agencyCode.replace(/\./g, '\\.')}-\\d{6}-\\d{4}$`));

      const clerk = await login(t, email, 'Clerk-pass-2026');
      const mine = await t.http.get('/api/v1/queue').set(clerk.auth).expect(200);
      expect(mine.body.items.map((d: { id: string }) => d.id)).toEqual([draft.body.id]);
      const seen = await t.http.get(`/api/v1/applications/${draft.body.id}`).set(clerk.auth).expect(200);
      expect(seen.body.availableActions).toEqual(expect.arrayContaining(['receive', 'refuse']));

      const other = await staff(t, 'clerk', 'bennghe');
      const theirs = await t.http.get('/api/v1/queue').set(other.auth).expect(200);
      expect(theirs.body.items.map((d: { id: string }) => d.id)).not.toContain(draft.body.id);
      expectProblem(await t.http.get(`/api/v1/applications/${draft.body.id}`).set(other.auth), 404);
    });

    it('creates a supervisor and an admin (who has no agency)', async () => {
      const agencyCode = await newAgency();
      const sup = `sup-${uid()}@example.vn`;
      await t.http
        .post('/api/v1/admin/staff')
        .set(adm.auth)
        .send({ email: sup, password: 'Super-pass-2026', role: 'supervisor', agencyCode })
        .expect(201);
      expect(await login(t, sup, 'Super-pass-2026')).toBeDefined();
      const adminEmail = `admin-${uid()}@example.vn`;
      const res = await t.http
        .post('/api/v1/admin/staff')
        .set(adm.auth)
        .send({ email: adminEmail, password: 'Admin-pass-2026', role: 'admin' })
        .expect(201);
      expect(res.body).toMatchObject({ role: 'admin', agencyCode: null });
      const second = await login(t, adminEmail, 'Admin-pass-2026');
      await t.http.get('/api/v1/admin/agencies').set(second.auth).expect(200);
    });

    it.each([
      ['a clerk without agencyCode', { role: 'clerk' }, 'agencyCode'],
      ['a supervisor without agencyCode', { role: 'supervisor' }, 'agencyCode'],
      ['a clerk of an unknown agency', { role: 'clerk', agencyCode: 'NO.SUCH.AGENCY' }, 'agencyCode'],
      ['an admin attached to an agency', { role: 'admin', agencyCode: DEMO.agencies.quan1 }, 'agencyCode'],
    ])('refuses %s with 422 naming the field, and writes nothing', async (_what, body, field) => {
      const email = `staff-${uid()}@example.vn`;
      const before = await count('accounts');
      const res = await t.http
        .post('/api/v1/admin/staff')
        .set(adm.auth)
        .send({ email, password: 'Staff-pass-2026', ...body });
      expectProblem(res, 422);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      expect(await count('accounts')).toBe(before);
    });

    it('refuses a role that is not staff, a short password and a bad email with 400 naming each', async () => {
      const before = await count('accounts');
      const res = await t.http
        .post('/api/v1/admin/staff')
        .set(adm.auth)
        .send({ email: 'nope', password: 'short', role: 'citizen', agencyCode: DEMO.agencies.quan1 });
      expectProblem(res, 400);
      expect((res.body.errors as Problem[]).map((e) => e.field)).toEqual(
        expect.arrayContaining(['email', 'password', 'role']),
      );
      expect(await count('accounts')).toBe(before);
    });

    it('refuses a staff account whose email is taken (any case) with 409', async () => {
      const before = await count('accounts');
      const res = await t.http.post('/api/v1/admin/staff').set(adm.auth).send({
        email: 'Clerk.Bennghe@demo.local',
        password: 'Staff-pass-2026',
        role: 'clerk',
        agencyCode: DEMO.agencies.quan1,
      });
      expectProblem(res, 409);
      expect(await count('accounts')).toBe(before);
      // The existing clerk is untouched: same agency, same password.
      const clerk = await staff(t, 'clerk', 'bennghe');
      const claims = JSON.parse(Buffer.from(clerk.token.split('.')[1], 'base64url').toString());
      const [{ id }] = await t.db.query(`SELECT id FROM agencies WHERE code = $1`, [DEMO.agencies.bennghe]);
      expect(claims.agency).toBe(id);
    });
  });

  describe('procedures and versions', () => {
    it('creates a procedure, adds versions, publishes one; the catalog shows it with its fields', async () => {
      const code = `TP-${uid()}`;
      const created = await t.http
        .post('/api/v1/admin/procedures')
        .set(adm.auth)
        .send({ code, name: 'Cấp bản sao trích lục thử', agencyCode: DEMO.agencies.bennghe, level: 'partial' })
        .expect(201);
      expect(created.body).toMatchObject({ code });
      const v1 = await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(versionBody())
        .expect(201);
      expect(v1.body).toMatchObject({ version: 1 });
      // Not in the catalog until published.
      expectProblem(await t.http.get(`/api/v1/procedures/${code}`), 404);
      expect(
        (await t.http.get('/api/v1/procedures').expect(200)).body.map((p: { code: string }) => p.code),
      ).not.toContain(code);

      const published = await t.http
        .post(`/api/v1/admin/procedures/${code}/versions/1/publish`)
        .set(adm.auth)
        .expect(200);
      expect(published.body).toMatchObject({ code, version: 1, publishedAt: expect.any(String) });
      expect(Date.parse(published.body.publishedAt)).toBeGreaterThan(Date.now() - 60_000);

      const expected = {
        code,
        name: 'Cấp bản sao trích lục thử',
        agencyCode: DEMO.agencies.bennghe,
        level: 'partial',
        version: 1,
        fees: [{ kind: 'fee', name: 'Lệ phí', amount: 50000 }],
        feeTiming: 'after_approval',
        totalFee: 50000,
        processingDays: 5,
        deliveryOptions: ['online', 'post'],
        formSchema: FORM_V1,
        requiredDocuments: [{ key: 'id_card', name: 'Căn cước công dân', required: false }],
      };
      const list = await t.http.get('/api/v1/procedures').expect(200);
      expect(list.body.find((p: { code: string }) => p.code === code)).toMatchObject(expected);
      expect((await t.http.get(`/api/v1/procedures/${code}`).expect(200)).body).toMatchObject(expected);

      const v2 = await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(versionBody({ processingDays: 7 }))
        .expect(201);
      expect(v2.body).toMatchObject({ version: 2 });
      const versions = await t.http.get(`/api/v1/admin/procedures/${code}/versions`).set(adm.auth).expect(200);
      expect(
        versions.body.map((v: { version: number; publishedAt: string | null }) => [v.version, v.publishedAt !== null]),
      ).toEqual([
        [1, true],
        [2, false],
      ]);
      // An unpublished version does not reach the catalog.
      expect((await t.http.get(`/api/v1/procedures/${code}`).expect(200)).body).toMatchObject({
        version: 1,
        processingDays: 5,
      });
    });

    it('refuses a procedure at an unknown agency (422), a duplicate code (409) and a bad level (400)', async () => {
      const before = await count('procedures');
      const unknown = await t.http
        .post('/api/v1/admin/procedures')
        .set(adm.auth)
        .send({ code: `TP-${uid()}`, name: 'x', agencyCode: 'NO.SUCH', level: 'full' });
      expectProblem(unknown, 422);
      expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'agencyCode' })]);
      const dup = await t.http
        .post('/api/v1/admin/procedures')
        .set(adm.auth)
        .send({ code: DEMO.birthExtract, name: 'x', agencyCode: DEMO.agencies.quan1, level: 'full' });
      expectProblem(dup, 409);
      const bad = await t.http
        .post('/api/v1/admin/procedures')
        .set(adm.auth)
        .send({ code: `TP-${uid()}`, name: 'x', agencyCode: DEMO.agencies.quan1, level: 'total' });
      expectProblem(bad, 400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'level' })]);
      expect(await count('procedures')).toBe(before);
      const [{ name }] = await t.db.query(`SELECT name FROM procedures WHERE code = $1`, [DEMO.birthExtract]);
      expect(name).not.toBe('x');
    });

    it('refuses a malformed version with 400 naming each field, and a version of an unknown procedure with 404', async () => {
      const code = await newProcedure(DEMO.agencies.quan1, { publish: false });
      const before = await count('procedure_versions');
      const res = await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(
          versionBody({
            processingDays: 0,
            deliveryOptions: ['fax'],
            feeTiming: 'later',
            fees: [{ kind: 'fee', name: 'Lệ phí', amount: 1.5 }],
            workflow: [],
          }),
        );
      expectProblem(res, 400);
      const fields = (res.body.errors as Problem[]).map((e) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining(['processingDays', 'deliveryOptions', 'feeTiming', 'fees.0.amount', 'workflow']),
      );
      expectProblem(
        await t.http.post(`/api/v1/admin/procedures/NO-SUCH-${uid()}/versions`).set(adm.auth).send(versionBody()),
        404,
      );
      expect(await count('procedure_versions')).toBe(before);
    });

    it('refuses to publish a bad definition with 422 whose errors name every problem, and publishes nothing', async () => {
      const code = await newProcedure(DEMO.agencies.quan1, { publish: false });
      const bad = {
        states: [
          { key: 'draft', start: true, editableBy: ['citizen'] }, //     0
          { key: 'second_start', start: true }, //                       1: a second start state
          { key: 'submitted' }, //                                        2
          { key: 'stuck', clock: 'running' }, //                         3: reachable, not terminal, no way out
          { key: 'island', terminal: true }, //                           4: nothing leads here
          { key: 'done', terminal: true }, //                             5: terminal, yet an action leaves it
        ],
        actions: [
          { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] }, //                    0
          { key: 'begin', from: ['second_start'], to: 'submitted', by: ['citizen'] }, //               1
          { key: 'park', from: ['submitted'], to: 'stuck', by: ['clerk'] }, //                          2
          { key: 'finish', from: ['submitted'], to: 'done', by: ['wizard'] }, //                        3: unknown role
          { key: 'reopen', from: ['done'], to: 'submitted', by: ['clerk'], effects: ['teleport'] }, //  4: unknown effect
        ],
      };
      await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(versionBody({ workflow: bad, formSchema: { type: 'object', properties: { name: { type: 'strin' } } } }))
        .expect(201);
      const res = await t.http.post(`/api/v1/admin/procedures/${code}/versions/2/publish`).set(adm.auth);
      expectProblem(res, 422);
      const errors = res.body.errors as Problem[];
      const has = (field: string, message: RegExp) =>
        expect(errors).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
      has('workflow.states', /start.*several.*draft.*second_start/);
      has('workflow.states[4]', /"island".*cannot be reached/);
      has('workflow.states[3]', /"stuck".*not terminal.*no action leaves/);
      has('workflow.actions[4].from[0]', /"reopen".*terminal state "done"/);
      has('workflow.actions[3].by[0]', /Unknown role "wizard"/);
      has('workflow.actions[4].effects[0]', /Unknown effect "teleport"/);
      has('formSchema', /invalid JSON Schema/);
      expect(res.body.detail).toContain(`${errors.length} problem`);

      const [row] = await t.db.query(
        `SELECT v.published_at FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = $1 AND v.version = 2`,
        [code],
      );
      expect(row.published_at).toBeNull();
      expectProblem(await t.http.get(`/api/v1/procedures/${code}`), 404);
    });

    it('refuses to publish a workflow without any start state, naming it', async () => {
      const code = await newProcedure(DEMO.agencies.quan1, { publish: false });
      const workflow = goodWorkflow();
      delete (workflow.states[0] as { start?: boolean }).start;
      await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(versionBody({ workflow }))
        .expect(201);
      const res = await t.http.post(`/api/v1/admin/procedures/${code}/versions/2/publish`).set(adm.auth);
      expectProblem(res, 422);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([{ field: 'workflow.states', message: expect.stringMatching(/start.*none/) }]),
      );
    });

    it('refuses payment wiring that would strand a dossier: fees with no requirePayment, a paying state nobody leaves', async () => {
      const noOpen = goodWorkflow() as { states: { key: string }[]; actions: Record<string, unknown>[] };
      noOpen.actions = noOpen.actions
        .filter((a) => a.key !== 'payment_confirmed')
        .map((a) => (a.key === 'complete' ? { ...a, to: 'completed', effects: [] } : a));
      noOpen.states = noOpen.states.filter((x) => x.key !== 'awaiting_payment');
      const a = await newProcedure(DEMO.agencies.quan1, { publish: false, version: { workflow: noOpen } });
      const r1 = await t.http.post(`/api/v1/admin/procedures/${a}/versions/1/publish`).set(adm.auth);
      expectProblem(r1, 422);
      expect(r1.body.errors).toEqual([
        { field: 'workflow.actions', message: expect.stringMatching(/no action has the requirePayment effect/) },
      ]);

      const stuck = goodWorkflow() as { actions: Record<string, unknown>[] };
      stuck.actions = stuck.actions.map((x) =>
        x.key === 'payment_confirmed' ? { ...x, trigger: 'shipment.delivered' } : x,
      );
      const b = await newProcedure(DEMO.agencies.quan1, { publish: false, version: { workflow: stuck } });
      const r2 = await t.http.post(`/api/v1/admin/procedures/${b}/versions/1/publish`).set(adm.auth);
      expectProblem(r2, 422);
      expect(r2.body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            /awaiting_payment waits for payment but no system action with trigger payment.succeeded/,
          ),
        }),
      ]);
    });

    it('refuses fees that contradict the fee timing and duplicate document keys', async () => {
      const code = await newProcedure(DEMO.agencies.quan1, {
        publish: false,
        version: {
          feeTiming: 'exempt',
          requiredDocuments: [
            { key: 'id_card', name: 'CCCD', required: true },
            { key: 'id_card', name: 'CCCD again', required: false },
          ],
        },
      });
      const res = await t.http.post(`/api/v1/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
      expectProblem(res, 422);
      expect((res.body.errors as Problem[]).map((e) => e.field)).toEqual(
        expect.arrayContaining(['feeTiming', 'requiredDocuments[1].key']),
      );
    });

    it('refuses to publish a version twice (409), and an unknown version (404)', async () => {
      const code = await newProcedure();
      const [{ published_at: first }] = await t.db.query(
        `SELECT v.published_at FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = $1`,
        [code],
      );
      const again = await t.http.post(`/api/v1/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
      expectProblem(again, 409);
      const [{ published_at: after }] = await t.db.query(
        `SELECT v.published_at FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = $1`,
        [code],
      );
      expect(after).toEqual(first);
      expectProblem(await t.http.post(`/api/v1/admin/procedures/${code}/versions/9/publish`).set(adm.auth), 404);
      expectProblem(await t.http.post(`/api/v1/admin/procedures/${code}/versions/one/publish`).set(adm.auth), 404);
      expectProblem(
        await t.http.post(`/api/v1/admin/procedures/NO-SUCH-${uid()}/versions/1/publish`).set(adm.auth),
        404,
      );
    });

    it('publishes a version once when two admins publish it at the same moment', async () => {
      const code = await newProcedure(DEMO.agencies.quan1, { publish: false });
      const answers = await Promise.all(
        [1, 2, 3].map(() => t.http.post(`/api/v1/admin/procedures/${code}/versions/1/publish`).set(adm.auth)),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    });

    it('a published version cannot change: the database refuses an UPDATE or DELETE', async () => {
      const code = await newProcedure();
      const [{ id }] = await t.db.query(
        `SELECT v.id FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id WHERE p.code = $1 AND v.version = 1`,
        [code],
      );
      await expect(
        t.db.query(`UPDATE procedure_versions SET processing_days = 99 WHERE id = $1`, [id]),
      ).rejects.toThrow(/immutable/);
      await expect(
        t.db.query(`UPDATE procedure_versions SET form_schema = '{"type":"object"}' WHERE id = $1`, [id]),
      ).rejects.toThrow(/immutable/);
      await expect(t.db.query(`UPDATE procedure_versions SET published_at = NULL WHERE id = $1`, [id])).rejects.toThrow(
        /immutable/,
      );
      await expect(t.db.query(`DELETE FROM procedure_versions WHERE id = $1`, [id])).rejects.toThrow(/immutable/);
      // The seeded versions too.
      await expect(
        t.db.query(`UPDATE procedure_versions SET fees = '[]' WHERE published_at IS NOT NULL`),
      ).rejects.toThrow(/immutable/);
      expect((await t.http.get(`/api/v1/procedures/${code}`).expect(200)).body).toMatchObject({
        processingDays: 5,
        formSchema: FORM_V1,
      });
      // A draft version is still work in progress: it can change.
      await t.http.post(`/api/v1/admin/procedures/${code}/versions`).set(adm.auth).send(versionBody()).expect(201);
      const [, affected] = await t.db.query(
        `UPDATE procedure_versions SET processing_days = 6 WHERE version = 2 AND procedure_id = (SELECT id FROM procedures WHERE code = $1)`,
        [code],
      );
      expect(affected).toBe(1);
    });

    it('pins dossiers to their version: v2 with another form leaves a v1 draft on v1; new drafts get v2', async () => {
      const code = await newProcedure(DEMO.agencies.quan1);
      const citizen = await newCitizen(t);
      const old = await t.http
        .post('/api/v1/applications')
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { fullName: 'Lê Thị Hoa' } })
        .expect(201);
      expect(old.body.procedureVersion).toBe(1);

      const formV2 = {
        type: 'object',
        properties: {
          applicantName: { type: 'string', minLength: 1 },
          purpose: { type: 'string', enum: ['work', 'study'] },
        },
        required: ['applicantName', 'purpose'],
        additionalProperties: false,
      };
      const v2 = await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(versionBody({ formSchema: formV2, processingDays: 9 }))
        .expect(201);
      expect(v2.body.version).toBe(2);
      await t.http.post(`/api/v1/admin/procedures/${code}/versions/2/publish`).set(adm.auth).expect(200);
      // A third version, not published, changes nothing for anyone.
      await t.http
        .post(`/api/v1/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send(versionBody({ processingDays: 30 }))
        .expect(201);

      const catalog = (await t.http.get(`/api/v1/procedures/${code}`).expect(200)).body;
      expect(catalog).toMatchObject({ version: 2, processingDays: 9, formSchema: formV2 });

      const reread = await t.http.get(`/api/v1/applications/${old.body.id}`).set(citizen.auth).expect(200);
      expect(reread.body).toMatchObject({ procedureVersion: 1, formData: { fullName: 'Lê Thị Hoa' } });
      // The old draft is still checked against the v1 form: a v1 field is accepted, a v2-only field is not.
      await t.http
        .patch(`/api/v1/applications/${old.body.id}`)
        .set(citizen.auth)
        .send({ formData: { note: 'v1 field' } })
        .expect(200);
      expectProblem(
        await t.http
          .patch(`/api/v1/applications/${old.body.id}`)
          .set(citizen.auth)
          .send({ formData: { purpose: 'work' } }),
        422,
      );

      const fresh = await t.http
        .post('/api/v1/applications')
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { purpose: 'work' } })
        .expect(201);
      expect(fresh.body.procedureVersion).toBe(2);
      expectProblem(
        await t.http
          .post('/api/v1/applications')
          .set(citizen.auth)
          .send({ procedureCode: code, formData: { fullName: 'v1 field' } }),
        422,
      );

      const pinned = await t.db.query(
        `SELECT d.id, v.version FROM dossiers d JOIN procedure_versions v ON v.id = d.procedure_version_id WHERE d.id = ANY($1) ORDER BY v.version`,
        [[old.body.id, fresh.body.id]],
      );
      expect(pinned).toEqual([
        { id: old.body.id, version: 1 },
        { id: fresh.body.id, version: 2 },
      ]);
    });

    it('publishes and uses form schemas that declare the same $id in different procedures', async () => {
      const formSchema = { $id: 'https://forms.example.vn/applicant.json', ...FORM_V1 };
      const first = await newProcedure(DEMO.agencies.quan1, { version: { formSchema } });
      const second = await newProcedure(DEMO.agencies.bennghe, { version: { formSchema } });
      const citizen = await newCitizen(t);
      for (const procedureCode of [first, second]) {
        const res = await t.http
          .post('/api/v1/applications')
          .set(citizen.auth)
          .send({ procedureCode, formData: { fullName: 'Lê Thị Hoa' } });
        expect(res.status).toBe(201);
        expectProblem(
          await t.http
            .post('/api/v1/applications')
            .set(citizen.auth)
            .send({ procedureCode, formData: { fullName: 42 } }),
          422,
        );
      }
    });
  });
});
