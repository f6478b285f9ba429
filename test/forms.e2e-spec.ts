import { createTestApp, TestApp } from './support/app';
import {
  binary,
  DEMO,
  idem,
  newCitizen,
  payInSandbox,
  Session,
  staff,
  uploadDocument,
  workingDaysAfter,
} from './support/factories';

// pdf-parse's index runs a self-test when required directly; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ text: string }> = require('pdf-parse/lib/pdf-parse.js');

const api = '/api/v1';
const TITLES = {
  '01': 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ',
  '02': 'PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ',
  '03': 'PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ',
  '04': 'PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ',
  '05': 'PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ',
  '06': 'SỔ THEO DÕI HỒ SƠ',
} as const;

/** dd/mm/yyyy in Vietnam time. */
const vnDate = (iso: string | Date) => {
  const d = new Date(new Date(iso).getTime() + 7 * 3600_000);
  return `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
};
const vnDay = (d: Date) => new Date(d.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
/** Text of a PDF with its line breaks as spaces (a table cell may wrap). */
const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('official forms (Circular 01/2018) and per-agency numbering', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const act = (who: Session, id: string, action: string, body: object = {}) =>
    t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);

  async function form(who: Session, id: string, n: string): Promise<{ status: number; text: string; body: Buffer }> {
    const res = await t.http.get(`${api}/applications/${id}/forms/${n}`).set(who.auth).buffer(true).parse(binary);
    if (res.status !== 200) return { status: res.status, text: '', body: res.body as Buffer };
    expect(res.headers['content-type']).toBe('application/pdf');
    return { status: 200, text: (await pdfParse(res.body as Buffer)).text, body: res.body as Buffer };
  }

  async function birthExtract(citizen: Session, files = 1): Promise<{ id: string; code: string }> {
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Lê Thị Hoa', dateOfBirth: '1990-05-01', copies: 2 },
      })
      .expect(201);
    for (let i = 0; i < files; i++) expect((await uploadDocument(t, citizen, d.body.id, 'id_card')).status).toBe(201);
    const s = await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    return { id: d.body.id, code: s.body.code };
  }

  async function judicial(citizen: Session): Promise<{ id: string; code: string }> {
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.judicialRecord,
        formData: {
          fullName: 'Lê Thị Hoa',
          dateOfBirth: '1990-05-01',
          placeOfBirth: 'Huế',
          certificateType: 1,
          purpose: 'Xin việc',
        },
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card');
    const s = await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await payInSandbox(t, citizen, d.body.id);
    await t.drain();
    return { id: d.body.id, code: s.body.code };
  }

  const resultNumber = async (who: Session, id: string) =>
    (await t.http.get(`${api}/applications/${id}`).set(who.auth).expect(200)).body.result?.number as string;

  // First in the suite (its own database): the counters of the year start here.
  it('numbers results and receipts per agency and per year; concurrent results get distinct consecutive numbers', async () => {
    const year = new Date(Date.now() + 7 * 3600_000).getUTCFullYear();
    const citizen = await newCitizen(t);
    const bennghe = await staff(t, 'clerk', 'bennghe');
    const sotuphap = await staff(t, 'clerk', 'sotuphap');
    const supervisor = await staff(t, 'supervisor', 'sotuphap');

    const a = await birthExtract(citizen);
    await act(bennghe, a.id, 'receive').expect(200);
    await act(bennghe, a.id, 'complete').expect(200);
    const j = await judicial(citizen);
    await act(sotuphap, j.id, 'receive').expect(200);
    await act(supervisor, j.id, 'approve', { data: { finding: 'Không có án tích.' } }).expect(200);
    await act(sotuphap, j.id, 'issue_result').expect(200);
    await t.drain();
    expect(await resultNumber(citizen, a.id)).toBe(`000001/${year}/KQ`);
    expect(await resultNumber(citizen, j.id)).toBe(`000001/${year}/KQ`);
    const payments = await t.http.get(`${api}/applications/${j.id}/payments`).set(citizen.auth).expect(200);
    expect(JSON.stringify(payments.body)).toContain(`"000001/${year}/BL-${DEMO.agencies.sotuphap}"`);

    // Three results of one agency at the same time: 000002, 000003, 000004 in some order.
    const more = [];
    for (let i = 0; i < 3; i++) {
      const d = await birthExtract(citizen);
      await act(bennghe, d.id, 'receive').expect(200);
      more.push(d);
    }
    const done = await Promise.all(more.map((d) => act(bennghe, d.id, 'complete')));
    expect(done.map((r) => r.status)).toEqual([200, 200, 200]);
    await t.drain();
    const numbers = await Promise.all(more.map((d) => resultNumber(citizen, d.id)));
    expect([...numbers].sort()).toEqual([2, 3, 4].map((n) => `00000${n}/${year}/KQ`));
  });

  it('form 01 and 05 once received (papers with counts, dates, method, officer, steps); 404 before; out of scope 404; emailed with the receipt', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const d = await birthExtract(citizen, 2);
    expect((await form(citizen, d.id, '01')).status).toBe(404);
    expect((await form(clerk, d.id, '05')).status).toBe(404);
    expect((await form(citizen, d.id, '07')).status).toBe(404);

    const received = await act(clerk, d.id, 'receive').expect(200);
    const [{ full_name: officer }] = await t.db.query(`SELECT full_name FROM accounts WHERE email = $1`, [clerk.email]);
    const f01 = await form(citizen, d.id, '01');
    expect(f01.status).toBe(200);
    const text = flat(f01.text);
    expect(text).toContain(TITLES['01']);
    expect(text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(text).toContain('Độc lập - Tự do - Hạnh phúc');
    expect(text).toContain('UBND PHƯỜNG BẾN NGHÉ');
    expect(f01.text.replace(/\s+/g, '')).toContain(d.code);
    expect(text).toContain(vnDate(received.body.receivedAt));
    expect(text).toContain(vnDate(received.body.dueAt));
    expect(text).toContain('Căn cước công dân');
    expect(text).toContain('2 bản');
    expect(text).toContain('Trực tuyến');
    expect(text).toContain(officer);
    // The same dossier, the same bytes; the agency's staff get it too.
    expect((await form(clerk, d.id, '01')).body.equals(f01.body)).toBe(true);

    const f05 = flat((await form(clerk, d.id, '05')).text);
    expect(f05).toContain(TITLES['05']);
    expect(f05).toContain('submit: Nháp → Chờ tiếp nhận');
    expect(f05).toContain('receive: Chờ tiếp nhận → Đang xử lý');
    expect(f05).toContain(`Công chức: ${officer}`);
    expect(f05).toContain('1 ngày làm việc');
    expect((await form(clerk, d.id, '02')).status).toBe(404);
    expect((await form(clerk, d.id, '03')).status).toBe(404);
    expect((await form(clerk, d.id, '04')).status).toBe(404);

    // Another agency's clerk and another citizen: as if it did not exist.
    expect((await form(await staff(t, 'clerk', 'quan1'), d.id, '01')).status).toBe(404);
    expect((await form(await newCitizen(t), d.id, '01')).status).toBe(404);

    // The receipt's email carries form 01.
    await t.drain();
    const mail = t.smtp.to(citizen.email).find((m) => m.subject === `Tiếp nhận hồ sơ ${d.code}`)!;
    expect(mail.text).toContain('Ngày hẹn trả kết quả: ');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ contentType: 'application/pdf' });
    expect(mail.attachments[0].filename).toMatch(/^mau-01-.*\.pdf$/);
    expect(flat((await pdfParse(mail.attachments[0].content)).text)).toContain(TITLES['01']);
  });

  it('form 02 lists each requested item once; form 04 the reason and the new date; both emailed', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.householdBusiness,
        formData: {
          businessName: 'Tiệm bánh mì Hoa',
          ownerName: 'Lê Thị Hoa',
          address: '12 Lê Lợi, Quận 1',
          businessLine: 'Bakery',
          capitalVnd: 50_000_000,
        },
      })
      .expect(201);
    const id = d.body.id;
    await uploadDocument(t, citizen, id, 'id_card');
    await uploadDocument(t, citizen, id, 'premises_proof');
    await t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    const received = await act(clerk, id, 'receive').expect(200);
    expect((await form(citizen, id, '02')).status).toBe(404);

    const newDueAt = await workingDaysAfter(t, id, received.body.dueAt, 8);
    await t.http
      .post(`${api}/applications/${id}/apology`)
      .set(clerk.auth)
      .send({ reason: 'Cần xác minh thêm địa điểm kinh doanh', newDueAt: newDueAt.toISOString() })
      .expect(200);
    const f04 = flat((await form(citizen, id, '04')).text);
    expect(f04).toContain(TITLES['04']);
    expect(f04).toContain('Cần xác minh thêm địa điểm kinh doanh');
    expect(f04).toContain(vnDate(newDueAt));
    expect(f04).toContain(vnDate(received.body.dueAt));

    await act(clerk, id, 'request_supplement', {
      comment: 'Hợp đồng thuê mặt bằng có công chứng\nBản sao giấy phép xây dựng\nhợp đồng thuê mặt bằng có công chứng',
    }).expect(200);
    const f02 = (await form(citizen, id, '02')).text;
    expect(flat(f02)).toContain(TITLES['02']);
    expect(f02.replace(/\s+/g, '')).toContain(
      d.body.code ?? (await t.http.get(`${api}/applications/${id}`).set(citizen.auth)).body.code,
    );
    expect(flat(f02)).toContain('1. Hợp đồng thuê mặt bằng có công chứng');
    expect(flat(f02)).toContain('2. Bản sao giấy phép xây dựng');
    expect(flat(f02).match(/thuê mặt bằng/gi)).toHaveLength(1);
    expect((await form(citizen, id, '03')).status).toBe(404);

    await t.drain();
    const mails = t.smtp.to(citizen.email);
    const names = mails.flatMap((m) => m.attachments.map((a) => a.filename.slice(0, 6)));
    expect(names.sort()).toEqual(['mau-01', 'mau-02', 'mau-04']);
  });

  it('form 03 with the reason once refused; 01 and 05 never (not received)', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const d = await birthExtract(citizen);
    expect((await form(citizen, d.id, '03')).status).toBe(404);
    await act(clerk, d.id, 'refuse', { comment: 'Hồ sơ không thuộc thẩm quyền của phường' }).expect(200);
    const f03 = await form(citizen, d.id, '03');
    expect(flat(f03.text)).toContain(TITLES['03']);
    expect(flat(f03.text)).toContain('Hồ sơ không thuộc thẩm quyền của phường');
    expect(f03.text.replace(/\s+/g, '')).toContain(d.code);
    expect((await form(citizen, d.id, '01')).status).toBe(404);
    expect((await form(citizen, d.id, '05')).status).toBe(404);
  });

  it('form 06: the agency’s register for a period, staff of the agency only', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const a = await birthExtract(citizen);
    const b = await birthExtract(citizen);
    await act(clerk, a.id, 'receive').expect(200);
    await act(clerk, b.id, 'receive').expect(200);
    await act(clerk, b.id, 'complete').expect(200);
    const today = vnDay(new Date());
    const log = async (who: Session, q: string) =>
      t.http.get(`${api}/reports/tracking-log?${q}`).set(who.auth).buffer(true).parse(binary);

    const res = await log(await staff(t, 'supervisor', 'bennghe'), `from=${today}&to=${today}`);
    expect(res.status).toBe(200);
    const text = (await pdfParse(res.body)).text;
    expect(flat(text)).toContain(TITLES['06']);
    expect(flat(text)).toContain(vnDate(new Date()));
    const compact = text.replace(/\s+/g, '');
    expect(compact).toContain(a.code);
    expect(compact).toContain(b.code);
    expect(flat(text)).toContain('Đúng hạn');

    const other = await log(await staff(t, 'clerk', 'quan1'), `from=${today}&to=${today}`);
    expect(other.status).toBe(200);
    expect((await pdfParse(other.body)).text.replace(/\s+/g, '')).not.toContain(a.code);
    const earlier = await log(clerk, `from=2020-01-01&to=2020-01-31`);
    expect((await pdfParse(earlier.body)).text.replace(/\s+/g, '')).not.toContain(a.code);

    expect((await log(citizen, `from=${today}&to=${today}`)).status).toBe(403);
    expect((await log(clerk, `from=${today}&to=2020-01-01`)).status).toBe(422);
    expect((await log(clerk, `from=yesterday&to=${today}`)).status).toBe(400);
  });
});
