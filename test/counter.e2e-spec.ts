import { createHash, randomInt, randomUUID } from 'node:crypto';
import { addWorkingTime, WorkCalendar } from '../src/workflow/calendar';
import { createTestApp, TestApp } from './support/app';
import { admin, binary, DEMO, idem, newCitizen, Session, staff, uploadDocument } from './support/factories';

// pdf-parse's index runs a self-test when required directly; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ text: string }> = require('pdf-parse/lib/pdf-parse.js');

const api = '/api/v1';
const HOUR_MS = 3_600_000;
const BIRTH_FORM = { fullName: 'Trần Văn Nam', dateOfBirth: '1990-05-01', copies: 1 };
const subOf = (s: Session): string => JSON.parse(Buffer.from(s.token.split('.')[1], 'base64url').toString()).sub;
const newIdNumber = () => String(randomInt(10 ** 11, 10 ** 12 - 1)).padStart(12, '0');
const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

/**
 * Counter intake and digitisation (issue 13): a clerk files a walk-in citizen's dossier and receives it in one
 * step, scans the papers, prints form 01; papers received by post; the "do not ask twice" rule; the indicators.
 */
describe('counter intake and digitisation', () => {
  let t: TestApp;
  let adm: Session;
  let clerk: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
    clerk = await staff(t, 'clerk', 'bennghe');
  });
  afterAll(() => t.close());

  const fileAtCounter = (who: Session, body: Record<string, unknown>) =>
    t.http.post(`${api}/counter/applications`).set(who.auth).send(body);
  const walkIn = (idNumber = newIdNumber(), extra: Record<string, unknown> = {}) => ({
    procedureCode: DEMO.birthExtract,
    applicant: { idNumber, fullName: 'Trần Văn Nam', phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}` },
    formData: BIRTH_FORM,
    ...extra,
  });
  const applicantOf = async (id: string): Promise<string> =>
    (await t.db.query(`SELECT applicant_id FROM dossiers WHERE id = $1`, [id]))[0].applicant_id;

  /** A procedure at Bến Nghé through the admin API: the birth extract's workflow, with these time limits. */
  async function procedureWith(
    timeLimits?: Record<string, unknown>,
    requiredDocuments: { key: string; name: string; required: boolean }[] = [
      { key: 'id_card', name: 'Căn cước công dân', required: true },
    ],
  ) {
    const code = `CT-${uid()}`;
    await t.http
      .post(`${api}/admin/procedures`)
      .set(adm.auth)
      .send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.bennghe, level: 'full' })
      .expect(201);
    const demo = await t.db.query<{ form_schema: Record<string, unknown>; workflow: Record<string, unknown> }[]>(
      `SELECT v.form_schema, v.workflow FROM procedure_versions v JOIN procedures p ON p.id = v.procedure_id
        WHERE p.code = $1 AND v.version = 1`,
      [DEMO.birthExtract],
    );
    await t.http
      .post(`${api}/admin/procedures/${code}/versions`)
      .set(adm.auth)
      .send({
        formSchema: demo[0].form_schema,
        requiredDocuments,
        fees: [],
        feeTiming: 'exempt',
        processingDays: 5,
        deliveryOptions: ['online'],
        workflow: demo[0].workflow,
        ...(timeLimits ? { timeLimits } : {}),
      })
      .expect(201);
    const published = await t.http.post(`${api}/admin/procedures/${code}/versions/1/publish`).set(adm.auth);
    return { code, published };
  }

  async function calendarOf(agencyCode: string): Promise<WorkCalendar> {
    return (await t.db.query(`SELECT calendar FROM agencies WHERE code = $1`, [agencyCode]))[0].calendar;
  }

  describe('a walk-in citizen’s dossier is filed and received in one step', () => {
    it('a citizen with no account: the clerk makes one from the ID card, the dossier reads channel counter, received', async () => {
      const idNumber = newIdNumber();
      const res = await fileAtCounter(clerk, walkIn(idNumber)).expect(201);
      expect(res.body).toMatchObject({
        channel: 'counter',
        state: 'processing',
        procedureCode: DEMO.birthExtract,
        agencyCode: DEMO.agencies.bennghe,
      });
      expect(res.body.code).toMatch(/^000\.00\.01\.H56-\d{6}-\d{4}$/);
      expect(res.body.receivedAt).not.toBeNull();
      expect(res.body.dueAt).not.toBeNull();

      const history = (await t.http.get(`${api}/applications/${res.body.id}/history`).set(clerk.auth).expect(200)).body;
      expect(history.map((h: { action: string; actorRole: string }) => [h.action, h.actorRole])).toEqual([
        ['create', 'clerk'],
        ['submit', 'clerk'],
        ['receive', 'clerk'],
      ]);
      expect(history[2].data.receipt).toMatchObject({ code: res.body.code });
      // The account: a citizen with the ID number verified (the clerk saw the card); the public lookup finds the dossier.
      const [account] = await t.db.query(`SELECT role, id_number, id_number_verified FROM accounts WHERE id = $1`, [
        await applicantOf(res.body.id),
      ]);
      expect(account).toEqual({ role: 'citizen', id_number: idNumber, id_number_verified: true });
      await t.http.get(`${api}/lookup`).query({ code: res.body.code, idNumber }).expect(200);
      // The dossier's read shows the channel.
      const read = await t.http.get(`${api}/applications/${res.body.id}`).set(clerk.auth).expect(200);
      expect(read.body.channel).toBe('counter');
    });

    it('a citizen who came before is found by their ID number: the second dossier is theirs too', async () => {
      const idNumber = newIdNumber();
      const first = (await fileAtCounter(clerk, walkIn(idNumber)).expect(201)).body;
      const second = (await fileAtCounter(clerk, walkIn(idNumber, {})).expect(201)).body;
      expect(await applicantOf(second.id)).toBe(await applicantOf(first.id));
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE id_number = $1`, [idNumber]);
      expect(n).toBe(1);
    });

    it('a dossier received by post reads channel post', async () => {
      const res = await fileAtCounter(clerk, walkIn(newIdNumber(), { channel: 'post' })).expect(201);
      expect(res.body).toMatchObject({ channel: 'post', state: 'processing' });
    });

    it('an incomplete form is refused and nothing is written, not even the citizen', async () => {
      const idNumber = newIdNumber();
      await fileAtCounter(clerk, walkIn(idNumber, { formData: { fullName: 'Trần Văn Nam' } })).expect(422);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE id_number = $1`, [idNumber]);
      expect(n).toBe(0);
    });

    it('a citizen and an admin cannot file (another agency’s counter: test/province-counter.e2e-spec.ts)', async () => {
      const citizen = await newCitizen(t);
      expect((await fileAtCounter(citizen, walkIn())).status).toBe(403);
      expect((await fileAtCounter(adm, walkIn())).status).toBe(403);
    });

    it('a procedure whose workflow takes the fee before receipt cannot be filed at the counter (409, nothing written)', async () => {
      const sotuphap = await staff(t, 'clerk', 'sotuphap');
      const idNumber = newIdNumber();
      const res = await fileAtCounter(sotuphap, {
        procedureCode: DEMO.judicialRecord,
        applicant: { idNumber, fullName: 'Lê Thị Hoa' },
        formData: {
          fullName: 'Lê Thị Hoa',
          dateOfBirth: '1990-05-01',
          placeOfBirth: 'TP. HCM',
          certificateType: 1,
          purpose: 'Xin việc',
        },
      });
      expect(res.status).toBe(409);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE id_number = $1`, [idNumber]);
      expect(n).toBe(0);
    });
  });

  describe('time limits per channel, in days or hours', () => {
    it('a 4-hour counter limit: the due date is 4 working hours after receipt; online keeps its 5 days', async () => {
      const { code, published } = await procedureWith({ online: { days: 5 }, counter: { hours: 4 } });
      expect(published.status).toBe(200);
      const calendar = await calendarOf(DEMO.agencies.bennghe);

      const counter = (await fileAtCounter(clerk, walkIn(newIdNumber(), { procedureCode: code })).expect(201)).body;
      expect(new Date(counter.dueAt).toISOString()).toBe(
        addWorkingTime(calendar, new Date(counter.receivedAt), 4 * HOUR_MS).toISOString(),
      );

      const citizen = await newCitizen(t);
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: code, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      await uploadDocument(t, citizen, d.id, 'id_card').expect(201);
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      const online = (
        await t.http.post(`${api}/applications/${d.id}/actions/receive`).set(clerk.auth).send({}).expect(200)
      ).body;
      expect(online.channel).toBe('online');
      expect(new Date(online.dueAt).toISOString()).toBe(
        addWorkingTime(calendar, new Date(online.receivedAt), 5 * 8 * HOUR_MS).toISOString(),
      );
    });

    it('a time limit with neither days nor hours cannot be published', async () => {
      const { published } = await procedureWith({ counter: { days: 0 } });
      expect(published.status).toBe(422);
      expect(published.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'timeLimits.counter' })]),
      );
    });
  });

  describe('the papers are scanned after receipt', () => {
    it('the clerk’s upload to a counter dossier is marked digitised, with who digitised it; form 01 counts it', async () => {
      const d = (await fileAtCounter(clerk, walkIn()).expect(201)).body;
      const up = await uploadDocument(t, clerk, d.id, 'id_card').expect(201);
      expect(up.body).toMatchObject({ documentKey: 'id_card', digitised: true, digitisedBy: subOf(clerk) });
      const list = (await t.http.get(`${api}/applications/${d.id}/documents`).set(clerk.auth).expect(200)).body;
      expect(list).toEqual([expect.objectContaining({ id: up.body.id, digitised: true, uploadedRole: 'clerk' })]);

      const pdf = await t.http.get(`${api}/applications/${d.id}/forms/01`).set(clerk.auth).buffer(true).parse(binary);
      expect(pdf.status).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      const text = (await pdfParse(pdf.body as Buffer)).text;
      expect(text).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ');
      expect(text).toContain(d.code);
      expect(text).toContain('Trực tiếp');
      expect(text).toContain('Căn cước công dân');
    });

    it('another agency’s clerk cannot upload to the counter dossier; a citizen cannot mark an upload digitised', async () => {
      const d = (await fileAtCounter(clerk, walkIn()).expect(201)).body;
      const otherClerk = await staff(t, 'clerk', 'quan1');
      expect((await uploadDocument(t, otherClerk, d.id, 'id_card')).status).toBe(404);

      const citizen = await newCitizen(t);
      const draft = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: DEMO.birthExtract })
          .expect(201)
      ).body;
      await t.http
        .post(`${api}/applications/${draft.id}/documents`)
        .set(citizen.auth)
        .field('documentKey', 'id_card')
        .field('digitised', 'true')
        .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'scan.pdf')
        .expect(422);
      const online = await uploadDocument(t, citizen, draft.id, 'id_card').expect(201);
      expect(online.body).toMatchObject({ digitised: false, digitisedBy: null });
    });
  });

  describe('do not ask twice', () => {
    /** A citizen's submitted online dossier with its ID card; the document's id. */
    async function earlierDossier(citizen: Session): Promise<{ id: string; documentId: string }> {
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: DEMO.birthExtract, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      const doc = await uploadDocument(t, citizen, d.id, 'id_card').expect(201);
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      return { id: d.id, documentId: doc.body.id };
    }

    it('a citizen reuses the ID card of an earlier dossier: the new one submits without a new upload, and says so', async () => {
      const citizen = await newCitizen(t);
      const earlier = await earlierDossier(citizen);
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: DEMO.birthExtract, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      // Without it, the dossier is incomplete.
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(422);
      const reused = await t.http
        .post(`${api}/applications/${d.id}/documents/reuse`)
        .set(citizen.auth)
        .send({ documentKey: 'id_card', sourceDocumentId: earlier.documentId })
        .expect(201);
      expect(reused.body).toMatchObject({ documentKey: 'id_card', reusedFromDocumentId: earlier.documentId });
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);

      const history = (await t.http.get(`${api}/applications/${d.id}/history`).set(citizen.auth).expect(200)).body;
      const entry = history.find((h: { action: string }) => h.action === 'reuse_document');
      expect(entry.data).toMatchObject({ documentKey: 'id_card', sourceDocumentId: earlier.documentId });
      expect(entry.attachments).toEqual([expect.objectContaining({ id: reused.body.id, documentKey: 'id_card' })]);
      // The same bytes as the source.
      const source = await t.http
        .get(`${api}/applications/${earlier.id}/documents/${earlier.documentId}`)
        .set(citizen.auth)
        .buffer(true)
        .parse(binary);
      const copy = await t.http
        .get(`${api}/applications/${d.id}/documents/${reused.body.id}`)
        .set(citizen.auth)
        .buffer(true)
        .parse(binary);
      expect(Buffer.compare(copy.body as Buffer, source.body as Buffer)).toBe(0);
    });

    it('another citizen’s document cannot be reused, nor a document and a result at once', async () => {
      const owner = await newCitizen(t);
      const earlier = await earlierDossier(owner);
      const stranger = await newCitizen(t);
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(stranger.auth)
          .send({ procedureCode: DEMO.birthExtract })
          .expect(201)
      ).body;
      const reuse = (body: Record<string, unknown>) =>
        t.http.post(`${api}/applications/${d.id}/documents/reuse`).set(stranger.auth).send(body);
      expect((await reuse({ documentKey: 'id_card', sourceDocumentId: earlier.documentId })).status).toBe(422);
      expect(
        (await reuse({ documentKey: 'id_card', sourceDocumentId: earlier.documentId, sourceResultId: randomUUID() }))
          .status,
      ).toBe(422);
      expect((await reuse({ documentKey: 'id_card', sourceResultId: randomUUID() })).status).toBe(422);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM dossier_documents WHERE dossier_id = $1`, [
        d.id,
      ]);
      expect(n).toBe(0);
    });

    it('at the counter, the clerk reuses the scan of the citizen’s earlier counter dossier instead of scanning again', async () => {
      const idNumber = newIdNumber();
      const first = (await fileAtCounter(clerk, walkIn(idNumber)).expect(201)).body;
      const scan = await uploadDocument(t, clerk, first.id, 'id_card').expect(201);
      const second = (await fileAtCounter(clerk, walkIn(idNumber)).expect(201)).body;
      const reused = await t.http
        .post(`${api}/applications/${second.id}/documents/reuse`)
        .set(clerk.auth)
        .send({ documentKey: 'id_card', sourceDocumentId: scan.body.id })
        .expect(201);
      expect(reused.body).toMatchObject({ reusedFromDocumentId: scan.body.id, digitised: false });
      // A walk-in with another ID number cannot get it.
      const third = (await fileAtCounter(clerk, walkIn()).expect(201)).body;
      await t.http
        .post(`${api}/applications/${third.id}/documents/reuse`)
        .set(clerk.auth)
        .send({ documentKey: 'id_card', sourceDocumentId: scan.body.id })
        .expect(422);
    });
  });

  describe('do not ask twice: an issued result', () => {
    it('a new dossier reuses the citizen’s earlier result: recorded in its history and documents, read by its clerk; nobody else’s', async () => {
      // The earlier dossier: a birth extract filed online, received and completed; its result is generated.
      const citizen = await newCitizen(t);
      const earlier = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: DEMO.birthExtract, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      await uploadDocument(t, citizen, earlier.id, 'id_card').expect(201);
      const earlierCode = (
        await t.http.post(`${api}/applications/${earlier.id}/submit`).set(citizen.auth).set(idem()).expect(200)
      ).body.code;
      await t.http.post(`${api}/applications/${earlier.id}/actions/receive`).set(clerk.auth).send({}).expect(200);
      await t.http.post(`${api}/applications/${earlier.id}/actions/complete`).set(clerk.auth).send({}).expect(200);
      await t.drain();
      const result = (await t.http.get(`${api}/applications/${earlier.id}`).set(citizen.auth).expect(200)).body.result;
      expect(result).toMatchObject({ id: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

      // The new dossier asks for the birth extract the earlier one produced.
      const { code } = await procedureWith(undefined, [
        { key: 'id_card', name: 'Căn cước công dân', required: true },
        { key: 'birth_extract', name: 'Bản sao trích lục khai sinh', required: true },
      ]);
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: code, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      await uploadDocument(t, citizen, d.id, 'id_card').expect(201);
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(422);
      const reused = await t.http
        .post(`${api}/applications/${d.id}/documents/reuse`)
        .set(citizen.auth)
        .send({ documentKey: 'birth_extract', sourceResultId: result.id })
        .expect(201);
      expect(reused.body).toMatchObject({
        documentKey: 'birth_extract',
        reusedFromResultId: result.id,
        reusedFromDocumentId: null,
        sha256: result.sha256,
      });
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      await t.http.post(`${api}/applications/${d.id}/actions/receive`).set(clerk.auth).send({}).expect(200);

      // Recorded: the history entry names the result and the dossier it came from, with the document attached.
      const history = (await t.http.get(`${api}/applications/${d.id}/history`).set(clerk.auth).expect(200)).body;
      const entry = history.find((h: { action: string }) => h.action === 'reuse_document');
      expect(entry.data).toEqual({
        documentKey: 'birth_extract',
        sourceResultId: result.id,
        sourceDossierCode: earlierCode,
      });
      expect(entry.attachments).toEqual([
        expect.objectContaining({ id: reused.body.id, documentKey: 'birth_extract' }),
      ]);
      // The new dossier's clerk lists and reads it: the result's bytes.
      const docs = (await t.http.get(`${api}/applications/${d.id}/documents`).set(clerk.auth).expect(200)).body;
      expect(docs).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: reused.body.id, reusedFromResultId: result.id })]),
      );
      const file = await t.http
        .get(`${api}/applications/${d.id}/documents/${reused.body.id}`)
        .set(clerk.auth)
        .buffer(true)
        .parse(binary)
        .expect(200);
      expect(
        createHash('sha256')
          .update(file.body as Buffer)
          .digest('hex'),
      ).toBe(result.sha256);
      expect((file.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');

      // Someone else's result: refused, nothing written.
      const stranger = await newCitizen(t);
      const theirs = (
        await t.http
          .post(`${api}/applications`)
          .set(stranger.auth)
          .send({ procedureCode: code, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      const refused = await t.http
        .post(`${api}/applications/${theirs.id}/documents/reuse`)
        .set(stranger.auth)
        .send({ documentKey: 'birth_extract', sourceResultId: result.id });
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'sourceResultId' })]);
      // Nor by a clerk at the counter for another walk-in.
      const walkInDossier = (await fileAtCounter(clerk, walkIn(newIdNumber(), { procedureCode: code })).expect(201))
        .body;
      expect(
        (
          await t.http
            .post(`${api}/applications/${walkInDossier.id}/documents/reuse`)
            .set(clerk.auth)
            .send({ documentKey: 'birth_extract', sourceResultId: result.id })
        ).status,
      ).toBe(422);
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM dossier_documents WHERE reused_from_result_id = $1`,
        [result.id],
      );
      expect(n).toBe(1);
    });
  });

  describe('indicators', () => {
    it('counter and post filings count in the online rate’s denominator; digitisation counts scanned or online papers', async () => {
      const { code } = await procedureWith();
      // One online (its papers are files), one counter scanned, one counter not scanned, one by post not scanned.
      const citizen = await newCitizen(t);
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: code, formData: BIRTH_FORM })
          .expect(201)
      ).body;
      await uploadDocument(t, citizen, d.id, 'id_card').expect(201);
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      await t.http.post(`${api}/applications/${d.id}/actions/receive`).set(clerk.auth).send({}).expect(200);
      const scanned = (await fileAtCounter(clerk, walkIn(newIdNumber(), { procedureCode: code })).expect(201)).body;
      await uploadDocument(t, clerk, scanned.id, 'id_card').expect(201);
      await fileAtCounter(clerk, walkIn(newIdNumber(), { procedureCode: code })).expect(201);
      await fileAtCounter(clerk, walkIn(newIdNumber(), { procedureCode: code, channel: 'post' })).expect(201);

      const from = new Date(Date.now() - 86_400_000).toISOString();
      const to = new Date(Date.now() + 86_400_000).toISOString();
      const res = await t.http
        .get(`${api}/reports/indicators`)
        .set(adm.auth)
        .query({ from, to, procedure: code })
        .expect(200);
      expect(res.body.rows).toEqual([
        expect.objectContaining({
          procedureCode: code,
          received: 4,
          counter: 2,
          post: 1,
          onlineRate: 0.25,
          digitisationRate: 0.5,
        }),
      ]);
    });
  });
});
