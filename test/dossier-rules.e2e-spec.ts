import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, idem, newCitizen, PDF, PNG, Session, staff, uploadDocument } from './support/factories';

/** Scoping, concurrency, codes, uploads, the clerk queue and the public lookup. */
describe('dossier rules', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { UPLOAD_MAX_BYTES: String(64 * 1024) } });
  });
  afterAll(() => t.close());

  const api = '/api/v1';
  const birthForm = { fullName: 'Phạm Minh Tuấn', dateOfBirth: '1988-02-29', copies: 1 };

  /** A birth-extract dossier submitted by a new citizen (at Bến Nghé ward). */
  async function submittedDossier(citizen?: Session & { idNumber: string }) {
    const owner = citizen ?? (await newCitizen(t));
    const res = await t.http
      .post(`${api}/applications`)
      .set(owner.auth)
      .send({ procedureCode: DEMO.birthExtract, formData: birthForm })
      .expect(201);
    await uploadDocument(t, owner, res.body.id, 'id_card').expect(201);
    const s = await t.http.post(`${api}/applications/${res.body.id}/submit`).set(owner.auth).set(idem()).expect(200);
    return { owner, dossier: s.body };
  }

  const count = async (table: string) => (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

  describe('scope: what a user cannot see is not there', () => {
    it('another citizen and another agency’s clerk get 404 for the dossier, its history, documents and actions', async () => {
      const { dossier } = await submittedDossier();
      const stranger = await newCitizen(t);
      const otherClerk = await staff(t, 'clerk', 'quan1');
      for (const who of [stranger, otherClerk]) {
        for (const path of ['', '/history', '/documents']) {
          const res = await t.http.get(`${api}/applications/${dossier.id}${path}`).set(who.auth);
          expect(res.status).toBe(404);
          expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        }
      }
      expect(
        (await t.http.post(`${api}/applications/${dossier.id}/actions/receive`).set(otherClerk.auth).send({})).status,
      ).toBe(404);
      expect(
        (await t.http.post(`${api}/applications/${dossier.id}/actions/withdraw`).set(stranger.auth).send({})).status,
      ).toBe(404);
      expect(
        (
          await t.http
            .patch(`${api}/applications/${dossier.id}`)
            .set(stranger.auth)
            .send({ formData: { copies: 3 } })
        ).status,
      ).toBe(404);
      expect((await uploadDocument(t, stranger, dossier.id, 'id_card')).status).toBe(404);
      expect((await t.http.post(`${api}/applications/${dossier.id}/assign`).set(otherClerk.auth).send({})).status).toBe(
        404,
      );
      // Unknown id and malformed id answer exactly like another user's id.
      const unknown = await t.http.get(`${api}/applications/${randomUUID()}`).set(stranger.auth);
      const malformed = await t.http.get(`${api}/applications/not-a-uuid`).set(stranger.auth);
      const foreign = await t.http.get(`${api}/applications/${dossier.id}`).set(stranger.auth);
      expect(unknown.body).toEqual(foreign.body);
      expect(malformed.body).toEqual(foreign.body);
      // Lists are scoped too.
      const mine = await t.http.get(`${api}/applications`).set(stranger.auth).expect(200);
      expect(mine.body.items).toEqual([]);
      const theirQueue = await t.http.get(`${api}/queue`).set(otherClerk.auth).query({ limit: 100 }).expect(200);
      expect(theirQueue.body.items.map((i: { id: string }) => i.id)).not.toContain(dossier.id);
    });

    it('the owner and the agency’s clerk see it; an admin can read it but has no workflow actions', async () => {
      const { owner, dossier } = await submittedDossier();
      const clerk = await staff(t, 'clerk', 'bennghe');
      expect((await t.http.get(`${api}/applications/${dossier.id}`).set(owner.auth)).body.availableActions).toEqual([
        'withdraw',
      ]);
      expect((await t.http.get(`${api}/applications/${dossier.id}`).set(clerk.auth)).body.availableActions).toEqual([
        'receive',
        'refuse',
      ]);
      const a = await admin(t);
      expect((await t.http.get(`${api}/applications/${dossier.id}`).set(a.auth)).body.availableActions).toEqual([]);
      expect((await t.http.post(`${api}/applications/${dossier.id}/actions/receive`).set(a.auth).send({})).status).toBe(
        403,
      );
    });

    it('staff cannot create dossiers; anonymous callers get 401', async () => {
      const clerk = await staff(t, 'clerk', 'bennghe');
      expect(
        (await t.http.post(`${api}/applications`).set(clerk.auth).send({ procedureCode: DEMO.birthExtract })).status,
      ).toBe(403);
      const anon = await t.http.get(`${api}/applications`);
      expect(anon.status).toBe(401);
      expect(anon.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });

  describe('concurrency', () => {
    it('two clerks receiving the same dossier at once: one wins, the other gets 409; one history entry', async () => {
      const { owner, dossier } = await submittedDossier();
      const clerk = await staff(t, 'clerk', 'bennghe');
      const supervisor = await staff(t, 'supervisor', 'bennghe');
      const [a, b] = await Promise.all([
        t.http.post(`${api}/applications/${dossier.id}/actions/receive`).set(clerk.auth).send({}),
        t.http.post(`${api}/applications/${dossier.id}/actions/receive`).set(supervisor.auth).send({}),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const loser = a.status === 409 ? a : b;
      expect(loser.headers['content-type']).toMatch(/application\/problem\+json/);
      const h = await t.http.get(`${api}/applications/${dossier.id}/history`).set(owner.auth);
      expect(h.body.filter((e: { action: string }) => e.action === 'receive')).toHaveLength(1);
    });

    it('dossier codes are per agency per day and gap-free under concurrent submissions', async () => {
      const citizens = await Promise.all(Array.from({ length: 6 }, () => newCitizen(t)));
      const drafts = await Promise.all(
        citizens.map(async (c) => {
          const r = await t.http
            .post(`${api}/applications`)
            .set(c.auth)
            .send({ procedureCode: DEMO.birthExtract, formData: birthForm });
          await uploadDocument(t, c, r.body.id, 'id_card');
          return { c, id: r.body.id as string };
        }),
      );
      const results = await Promise.all(
        drafts.map(({ c, id }) => t.http.post(`${api}/applications/${id}/submit`).set(c.auth).set(idem())),
      );
      expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
      const codes = results.map((r) => r.body.code as string);
      const prefix = codes[0].slice(0, -4);
      expect(codes.every((c) => c.startsWith(prefix))).toBe(true);
      // Together with every other code of that agency and day, they form 1..N without a gap.
      const all: { code: string }[] = await t.db.query(`SELECT code FROM dossiers WHERE code LIKE $1`, [`${prefix}%`]);
      const numbers = all.map((r) => Number(r.code.slice(-4))).sort((x, y) => x - y);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    });
  });

  describe('uploads', () => {
    it('accepts PDF and PNG judged by their bytes, and refuses renamed executables, wrong magic bytes and oversize files, writing nothing', async () => {
      const citizen = await newCitizen(t);
      const d = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: DEMO.birthExtract })
        .expect(201);
      expect((await uploadDocument(t, citizen, d.body.id, 'id_card', PNG, 'photo.pdf')).body.contentType).toBe(
        'image/png',
      );
      const before = await count('dossier_documents');
      const exe = Buffer.concat([Buffer.from('MZ\x90\x00'), Buffer.alloc(64)]);
      const renamed = await uploadDocument(t, citizen, d.body.id, 'id_card', exe, 'scan.pdf');
      expect(renamed.status).toBe(415);
      expect(renamed.headers['content-type']).toMatch(/application\/problem\+json/);
      const html = await uploadDocument(
        t,
        citizen,
        d.body.id,
        'id_card',
        Buffer.from('<html><script>alert(1)</script>'),
        'x.png',
      );
      expect(html.status).toBe(415);
      const big = Buffer.concat([PDF, Buffer.alloc(70 * 1024)]);
      const oversize = await uploadDocument(t, citizen, d.body.id, 'id_card', big, 'big.pdf');
      expect(oversize.status).toBe(413);
      expect(oversize.headers['content-type']).toMatch(/application\/problem\+json/);
      const unknownKey = await uploadDocument(t, citizen, d.body.id, 'passport');
      expect(unknownKey.status).toBe(422);
      expect(unknownKey.body.errors[0].field).toBe('documentKey');
      const traversal = await uploadDocument(t, citizen, d.body.id, 'id_card', PDF, '../../etc/passwd.pdf');
      expect(traversal.status).toBe(201);
      expect(traversal.body.fileName).toBe('passwd.pdf');
      expect(await count('dossier_documents')).toBe(before + 1);
    });

    it('a citizen cannot add documents once the dossier left their hands; the clerk can attach a notice to an action', async () => {
      const { owner, dossier } = await submittedDossier();
      expect((await uploadDocument(t, owner, dossier.id, 'id_card')).status).toBe(409);
      const clerk = await staff(t, 'clerk', 'bennghe');
      const notice = await uploadDocument(t, clerk, dossier.id, 'attachment', PDF, 'thong-bao-tu-choi.pdf').expect(201);
      const refused = await t.http
        .post(`${api}/applications/${dossier.id}/actions/refuse`)
        .set(clerk.auth)
        .send({ comment: 'Sai thẩm quyền', attachmentIds: [notice.body.id] })
        .expect(200);
      expect(refused.body.state).toBe('refused');
      const h = await t.http.get(`${api}/applications/${dossier.id}/history`).set(owner.auth);
      expect(h.body.at(-1).attachments).toEqual([
        { id: notice.body.id, documentKey: 'attachment', fileName: 'thong-bao-tu-choi.pdf' },
      ]);
      const file = await t.http
        .get(`${api}/applications/${dossier.id}/documents/${notice.body.id}`)
        .set(owner.auth)
        .expect(200);
      expect(Buffer.from(file.body).subarray(0, 5).toString()).toBe('%PDF-');
    });
  });

  describe('clerk queue', () => {
    it('shows the agency’s open dossiers sorted by due date, filters, counts per state, pages by cursor, and claims/assigns', async () => {
      const clerk = await staff(t, 'clerk', 'bennghe');
      const supervisor = await staff(t, 'supervisor', 'bennghe');
      const made = [];
      for (let i = 0; i < 5; i++) made.push((await submittedDossier()).dossier);
      await t.http.post(`${api}/applications/${made[0].id}/actions/receive`).set(clerk.auth).send({}).expect(200);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: any = await t.http
          .get(`${api}/queue`)
          .set(clerk.auth)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .expect(200);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        const keys = res.body.items.map((i: { attentionAt: string }) => i.attentionAt);
        expect([...keys].sort()).toEqual(keys);
        // Counts per state come with the first page only.
        if (pages === 0) expect(res.body.counts.submitted).toBeGreaterThanOrEqual(4);
        else expect(res.body.counts).toBeUndefined();
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining(made.map((d) => d.id)));

      const processing = await t.http
        .get(`${api}/queue`)
        .set(clerk.auth)
        .query({ state: 'processing', limit: 100 })
        .expect(200);
      expect(processing.body.items.map((i: { id: string }) => i.id)).toContain(made[0].id);
      expect(processing.body.items.every((i: { state: string }) => i.state === 'processing')).toBe(true);

      // Claim, then the supervisor reassigns; a clerk cannot assign to someone else.
      const me = await t.http.post(`${api}/applications/${made[1].id}/assign`).set(clerk.auth).send({}).expect(200);
      const clerkId = me.body.assigneeId;
      const mine = await t.http.get(`${api}/queue`).set(clerk.auth).query({ assignee: 'me', limit: 100 }).expect(200);
      expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual([made[1].id]);
      const [{ id: supervisorId }] = await t.db.query(
        `SELECT id FROM accounts WHERE email = 'supervisor.bennghe@demo.local'`,
      );
      expect(
        (await t.http.post(`${api}/applications/${made[2].id}/assign`).set(clerk.auth).send({ clerkId: supervisorId }))
          .status,
      ).toBe(403);
      const assigned = await t.http
        .post(`${api}/applications/${made[2].id}/assign`)
        .set(supervisor.auth)
        .send({ clerkId })
        .expect(200);
      expect(assigned.body.assigneeId).toBe(clerkId);
      const [{ id: foreignClerk }] = await t.db.query(`SELECT id FROM accounts WHERE email = 'clerk.quan1@demo.local'`);
      expect(
        (
          await t.http
            .post(`${api}/applications/${made[3].id}/assign`)
            .set(supervisor.auth)
            .send({ clerkId: foreignClerk })
        ).status,
      ).toBe(422);

      // Overdue: a dossier whose due date has passed.
      await t.db.query(
        `UPDATE dossiers SET due_at = now() - interval '1 hour', attention_at = now() - interval '1 hour' WHERE id = $1`,
        [made[0].id],
      );
      const overdue = await t.http.get(`${api}/queue`).set(clerk.auth).query({ due: 'overdue' }).expect(200);
      expect(overdue.body.items.map((i: { id: string }) => i.id)).toContain(made[0].id);
      expect(overdue.body.items.every((i: { overdue: boolean }) => i.overdue)).toBe(true);

      const badCursor = await t.http.get(`${api}/queue`).set(clerk.auth).query({ cursor: 'garbage' });
      expect(badCursor.status).toBe(400);
      const badFilter = await t.http.get(`${api}/queue`).set(clerk.auth).query({ due: 'yesterday', limit: 1000 });
      expect(badFilter.status).toBe(400);
      expect(badFilter.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['due', 'limit']);
      // Citizens have no queue.
      expect((await t.http.get(`${api}/queue`).set((await newCitizen(t)).auth)).status).toBe(403);
    });
  });

  describe('public lookup', () => {
    it('answers state and due date when code and ID number both match, and nothing that identifies the person', async () => {
      const { owner, dossier } = await submittedDossier();
      const res = await t.http.get(`${api}/lookup`).query({ code: dossier.code, idNumber: owner.idNumber }).expect(200);
      expect(res.body).toEqual({
        code: dossier.code,
        state: 'submitted',
        dueAt: null,
        apologyDueAt: null,
        procedureName: 'Cấp bản sao Trích lục khai sinh',
      });
      const wrong = await t.http.get(`${api}/lookup`).query({ code: dossier.code, idNumber: '000000000000' });
      expect(wrong.status).toBe(404);
      const bad = await t.http.get(`${api}/lookup`).query({ code: dossier.code });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('idNumber');
    });
  });

  describe('bad input writes nothing', () => {
    it('malformed JSON, unknown fields, wrong types and unknown procedures get 4xx problem+json and no row', async () => {
      const citizen = await newCitizen(t);
      const before = await count('dossiers');
      const malformed = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .set('content-type', 'application/json')
        .send('{"procedureCode":');
      expect(malformed.status).toBe(400);
      expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);
      const extra = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: DEMO.birthExtract, owner: 'admin' });
      expect(extra.status).toBe(400);
      expect(extra.body.errors).toEqual([expect.objectContaining({ field: 'owner' })]);
      const wrongType = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: 42, formData: 'x' });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'formData',
        'procedureCode',
        'procedureCode',
      ]);
      const unknown = await t.http.post(`${api}/applications`).set(citizen.auth).send({ procedureCode: 'NOPE' });
      expect(unknown.status).toBe(422);
      const post = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: DEMO.judicialRecord, delivery: { method: 'post' } });
      expect(post.status).toBe(422);
      expect(post.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'delivery.address',
        'delivery.phone',
        'delivery.recipient',
      ]);
      const notOffered = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({
          procedureCode: DEMO.birthExtract,
          delivery: { method: 'post', recipient: 'A', address: '12 Lê Lợi', phone: '0901234567' },
        });
      expect(notOffered.status).toBe(422);
      const proto = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .set('content-type', 'application/json')
        .send('{"procedureCode":"1.004884","formData":{"__proto__":{"admin":true},"copies":1}}');
      expect(proto.status).toBeLessThan(500);
      expect(await count('dossiers')).toBe(before + (proto.status === 201 ? 1 : 0));
      const res = await t.http.get(`${api}/applications`).set(citizen.auth);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      expect(res.status).toBe(200);
    });
  });
});
