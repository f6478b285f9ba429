import { randomInt, randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { admin, binary, DEMO, login, Session, staff, uploadDocument } from './support/factories';

// pdf-parse's index runs a self-test when required directly; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ text: string }> = require('pdf-parse/lib/pdf-parse.js');

const api = '/api/v1';
const BIRTH_FORM = { fullName: 'Phạm Văn Minh', dateOfBirth: '1992-03-04', copies: 1 };
const flat = (s: string) => s.replace(/\s+/g, ' ');
const newIdNumber = () => String(randomInt(10 ** 11, 10 ** 12 - 1)).padStart(12, '0');
const uid = () => randomUUID().replace(/-/g, '').slice(0, 8);

/**
 * Province-wide acceptance (issue 13: "a counter can receive a dossier for another agency of the province and route
 * it to the competent one"): the counter of UBND Quận 1 receives a birth extract, a procedure of UBND Phường Bến
 * Nghé (both H56, Ho Chi Minh City). The dossier is Bến Nghé's (its code, its queue, its actions); the history and
 * form 01 name the counter; the counter's clerk reads it, scans its papers, prints form 01, and works it no more. A
 * counter of another province (H29), or of an agency whose code names no province, is refused.
 */
describe('province-wide acceptance at the counter', () => {
  let t: TestApp;
  let adm: Session;
  let counter: Session; // UBND Quận 1
  let competent: Session; // UBND Phường Bến Nghé
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
    counter = await staff(t, 'clerk', 'quan1');
    competent = await staff(t, 'clerk', 'bennghe');
  });
  afterAll(() => t.close());

  const fileAtCounter = (who: Session, idNumber = newIdNumber()) =>
    t.http
      .post(`${api}/counter/applications`)
      .set(who.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        applicant: { idNumber, fullName: 'Phạm Văn Minh', address: '5 Nguyễn Huệ, Quận 1' },
        formData: BIRTH_FORM,
      });
  const queueIds = async (who: Session): Promise<string[]> =>
    (await t.http.get(`${api}/queue`).set(who.auth).query({ limit: 100 }).expect(200)).body.items.map(
      (i: { id: string }) => i.id,
    );
  const form = async (who: Session, id: string, n: string) => {
    const res = await t.http.get(`${api}/applications/${id}/forms/${n}`).set(who.auth).buffer(true).parse(binary);
    return { status: res.status, text: res.status === 200 ? flat((await pdfParse(res.body as Buffer)).text) : '' };
  };

  /** A new agency (through the admin API) and a clerk of it, signed in. */
  async function agencyWithClerk(code: string): Promise<Session> {
    await t.http
      .post(`${api}/admin/agencies`)
      .set(adm.auth)
      .send({ code, name: `Cơ quan ${code}` })
      .expect(201);
    const email = `clerk-${uid()}@example.vn`;
    await t.http
      .post(`${api}/admin/staff`)
      .set(adm.auth)
      .send({ email, password: 'Clerk-pass-2026', role: 'clerk', agencyCode: code, fullName: 'Cán bộ một cửa' })
      .expect(201);
    return login(t, email, 'Clerk-pass-2026');
  }

  it('every demo agency is in province H56, read from its code', async () => {
    const agencies = (await t.http.get(`${api}/admin/agencies`).set(adm.auth).expect(200)).body as {
      code: string;
      provinceCode: string | null;
    }[];
    for (const code of Object.values(DEMO.agencies)) {
      expect(agencies.find((a) => a.code === code)?.provinceCode).toBe('H56');
    }
  });

  it('Quận 1’s counter receives a dossier for Bến Nghé: Bến Nghé’s code and queue, the counter recorded and named', async () => {
    const res = await fileAtCounter(counter).expect(201);
    const d = res.body;
    expect(d).toMatchObject({
      agencyCode: DEMO.agencies.bennghe,
      receivedAgencyCode: DEMO.agencies.quan1,
      currentAgencyCode: null,
      channel: 'counter',
      state: 'processing',
      availableActions: [],
    });
    expect(d.code).toMatch(/^000\.00\.01\.H56-\d{6}-\d{4}$/);
    const [row] = await t.db.query(
      `SELECT g.code AS received FROM dossiers d JOIN agencies g ON g.id = d.received_agency_id WHERE d.id = $1`,
      [d.id],
    );
    expect(row.received).toBe(DEMO.agencies.quan1);

    // The history: created and received by Quận 1's clerk, handed over to Bến Nghé at receipt.
    const history = (await t.http.get(`${api}/applications/${d.id}/history`).set(competent.auth).expect(200)).body;
    expect(history.map((h: { action: string }) => h.action)).toEqual(['create', 'submit', 'receive']);
    expect(history[0].data).toMatchObject({ receivedAgencyCode: DEMO.agencies.quan1 });
    expect(history[2].data.handover).toMatchObject({
      from: DEMO.agencies.quan1,
      to: DEMO.agencies.bennghe,
      counter: true,
    });

    // Bến Nghé's queue has it, Quận 1's does not; Bến Nghé's clerk may act on it.
    expect(await queueIds(competent)).toContain(d.id);
    expect(await queueIds(counter)).not.toContain(d.id);
    const read = (await t.http.get(`${api}/applications/${d.id}`).set(competent.auth).expect(200)).body;
    expect(read.availableActions).toContain('complete');
    expect(read.receivedAgencyCode).toBe(DEMO.agencies.quan1);

    // Form 01 names the receiving counter and the competent agency; form 05 shows the handover.
    const f01 = await form(counter, d.id, '01');
    expect(f01.status).toBe(200);
    expect(f01.text).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ');
    expect(f01.text).toContain('Bộ phận Một cửa UBND Quận 1');
    expect(f01.text).toContain('UBND Phường Bến Nghé');
    expect(f01.text).toContain(d.code);
    const f05 = await form(competent, d.id, '05');
    expect(f05.text).toContain('Liên thông: UBND Quận 1 chuyển UBND Phường Bến Nghé');
    // A dossier received by its own agency's counter says nothing of the kind.
    const own = (await fileAtCounter(competent).expect(201)).body;
    expect(own.receivedAgencyCode).toBe(DEMO.agencies.bennghe);
    const ownForm = await form(competent, own.id, '01');
    expect(ownForm.text).not.toContain('Nơi tiếp nhận');
    expect(ownForm.text).toContain('UBND Phường Bến Nghé tiếp nhận hồ sơ của');
  });

  it('the counter reads what it received and scans its papers, but does not work it', async () => {
    const d = (await fileAtCounter(counter).expect(201)).body;
    const read = (await t.http.get(`${api}/applications/${d.id}`).set(counter.auth).expect(200)).body;
    expect(read).toMatchObject({ id: d.id, availableActions: [] });
    // The scan of the papers received in hand: marked digitised by the counter's clerk.
    const scan = await uploadDocument(t, counter, d.id, 'id_card').expect(201);
    expect(scan.body).toMatchObject({ digitised: true });
    const docs = (await t.http.get(`${api}/applications/${d.id}/documents`).set(competent.auth).expect(200)).body;
    expect(docs).toEqual([expect.objectContaining({ id: scan.body.id, digitised: true })]);
    // No action: the competent agency works it.
    const acted = await t.http.post(`${api}/applications/${d.id}/actions/complete`).set(counter.auth).send({});
    expect(acted.status).toBe(403);
    expect(acted.headers['content-type']).toMatch(/application\/problem\+json/);
    await t.http.post(`${api}/applications/${d.id}/actions/complete`).set(competent.auth).send({}).expect(200);
    // Finished: the counter still reads it and its receipt.
    await t.http.get(`${api}/applications/${d.id}`).set(counter.auth).expect(200);
    expect((await form(counter, d.id, '01')).status).toBe(200);
    // Another agency of the province that neither owns nor received it sees nothing.
    const other = await staff(t, 'clerk', 'sotuphap');
    expect((await t.http.get(`${api}/applications/${d.id}`).set(other.auth)).status).toBe(404);
    expect((await form(other, d.id, '01')).status).toBe(404);
  });

  it('a counter of another province, or of an agency whose code names no province, is refused; nothing is written', async () => {
    const hanoi = await agencyWithClerk(`000.00.${String(randomInt(40, 99))}.H29`);
    const loose = await agencyWithClerk(`TEST.${uid()}`);
    const agencies = (await t.http.get(`${api}/admin/agencies`).set(adm.auth).expect(200)).body as {
      code: string;
      provinceCode: string | null;
    }[];
    expect(agencies.filter((a) => a.code.startsWith('TEST.')).map((a) => a.provinceCode)).toEqual(
      expect.arrayContaining([null]),
    );
    for (const clerk of [hanoi, loose]) {
      const idNumber = newIdNumber();
      const res = await fileAtCounter(clerk, idNumber);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE id_number = $1`, [idNumber]);
      expect(n).toBe(0);
    }
  });
});
