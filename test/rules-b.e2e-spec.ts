import { createTestApp, TestApp } from './support/app';
import { binary, DEMO, idem, newCitizen, payInSandbox, Session, uploadDocument } from './support/factories';

// pdf-parse's index runs a self-test when required directly; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ text: string }> = require('pdf-parse/lib/pdf-parse.js');

/**
 * One-stop-shop rules 8-10 (issue 13), each named as a clerk would say it.
 * Every test makes its own data.
 */
describe('one-stop-shop rules (receipts, results, calendars)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const api = '/api/v1';
  const JUDICIAL_FORM = {
    fullName: 'Lê Thị Hoa',
    dateOfBirth: '1990-05-01',
    placeOfBirth: 'TP. Hồ Chí Minh',
    certificateType: 1,
    purpose: 'Xin việc',
  };
  const BY_POST = {
    method: 'post',
    recipient: 'Lê Thị Hoa',
    address: '12 Lê Lợi, Quận 1, TP. Hồ Chí Minh',
    phone: '0901234567',
  };

  const pdfText = async (pdf: Buffer) => (await pdfParse(pdf)).text;

  /** A judicial record dossier by post, submitted and paid (fee 200.000 ₫ + postage 30.000 ₫). */
  async function judicialPaid(citizen: Session) {
    const created = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: DEMO.judicialRecord, formData: JUDICIAL_FORM, delivery: BY_POST })
      .expect(201);
    const id: string = created.body.id;
    await uploadDocument(t, citizen, id, 'id_card').expect(201);
    await t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    const paid = await payInSandbox(t, citizen, id);
    await t.drain();
    return { id, attemptId: paid.attemptId };
  }

  describe('8. the payment receipt lists only fees and charges; the postage has its own line outside them', () => {
    it('the judicial record receipt shows the fee under "phí, lệ phí" and the 30.000 ₫ postage on its own line', async () => {
      const citizen = await newCitizen(t);
      const { id, attemptId } = await judicialPaid(citizen);
      const res = await t.http
        .get(`${api}/applications/${id}/payments/${attemptId}/receipt`)
        .set(citizen.auth)
        .buffer(true)
        .parse(binary)
        .expect(200);
      const text = await pdfText(res.body as Buffer);
      const group = text.indexOf('Phí, lệ phí / Fees and charges');
      const subtotal = text.indexOf('Cộng phí, lệ phí');
      const postage = text.indexOf('Cước phí chuyển phát');
      const total = text.indexOf('Tổng cộng');
      expect(group).toBeGreaterThan(-1);
      // The group holds the fee and not the postage; the postage comes after the subtotal, before the total.
      const feesPart = text.slice(group, subtotal);
      expect(feesPart).toContain('Phí cung cấp thông tin lý lịch tư pháp');
      expect(feesPart).toContain('200.000 ₫');
      expect(feesPart).not.toContain('30.000 ₫');
      expect(text.slice(subtotal, postage)).toContain('200.000 ₫');
      expect(postage).toBeGreaterThan(subtotal);
      expect(text.slice(postage, total)).toContain('30.000 ₫');
      expect(text.slice(total)).toContain('230.000 ₫');
    });
  });
});
