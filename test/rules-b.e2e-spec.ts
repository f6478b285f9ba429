import { createTestApp, TestApp } from './support/app';
import { binary, DEMO, idem, newCitizen, payInSandbox, Session, staff, uploadDocument } from './support/factories';

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

  const act = (who: Session, id: string, action: string, body: Record<string, unknown> = {}) =>
    t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
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

  describe('9. the result shows the signer who approved it, not the clerk who pressed the button; the finding comes from the approver', () => {
    it('the judicial record certificate is signed by the approving deputy director with her title and carries the finding she wrote', async () => {
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'sotuphap');
      const supervisor = await staff(t, 'supervisor', 'sotuphap');
      const { id } = await judicialPaid(citizen);
      await act(clerk, id, 'receive').expect(200);
      // The approval needs the finding that goes into the certificate.
      const without = await act(supervisor, id, 'approve').expect(422);
      expect(without.body.errors).toEqual([expect.objectContaining({ field: 'finding' })]);
      const finding = 'Không có án tích (đã tra cứu cơ sở dữ liệu lý lịch tư pháp ngày hôm nay).';
      await act(supervisor, id, 'approve', { data: { finding } }).expect(200);
      await act(clerk, id, 'issue_result').expect(200);
      await t.drain();
      const res = await t.http
        .get(`${api}/applications/${id}/result`)
        .set(citizen.auth)
        .buffer(true)
        .parse(binary)
        .expect(200);
      const text = (await pdfText(res.body as Buffer)).replace(/\s+/g, ' ');
      // Demo accounts: "Lãnh đạo <agency>", position Phó Giám đốc, approves; "Cán bộ <agency>" returns the result.
      expect(text).toContain('Lãnh đạo Sở Tư pháp TP. Hồ Chí Minh');
      expect(text).toContain('PHÓ GIÁM ĐỐC');
      expect(text).not.toContain('Cán bộ Sở Tư pháp');
      expect(text).toContain(`Án tích: ${finding}`);
      expect(text).not.toContain('Án tích: Không có án tích.');
    });
  });
});
