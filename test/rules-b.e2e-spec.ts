import { randomUUID } from 'node:crypto';
import { addWorkingTime, DEFAULT_CALENDAR, dueDate, localDateOf, workingTimeBetween } from '../src/workflow/calendar';
import { VN_NATIONAL_DAYS_OFF, VN_PUBLIC_HOLIDAYS } from '../src/workflow/holidays-vn';
import { createTestApp, TestApp } from './support/app';
import {
  admin,
  binary,
  DEMO,
  idem,
  newCitizen,
  payInSandbox,
  Session,
  staff,
  uploadDocument,
} from './support/factories';

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

  describe('10. agencies count the national holidays (Tết included) by default; editing a calendar moves open dossiers’ due dates', () => {
    /** The national calendar (src/workflow/holidays-vn.ts) as the demo agencies have it. */
    const national = { ...DEFAULT_CALENDAR, holidays: [...VN_NATIONAL_DAYS_OFF] };

    /** A received dossier at Quận 1 under a new procedure with this time limit; its API view after receipt. */
    async function receivedAtQuan1(processingDays: number) {
      const adm = await admin(t);
      const code = `RB-${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      await t.http
        .post(`${api}/admin/procedures`)
        .set(adm.auth)
        .send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.quan1, level: 'full' })
        .expect(201);
      await t.http
        .post(`${api}/admin/procedures/${code}/versions`)
        .set(adm.auth)
        .send({
          formSchema: { type: 'object', properties: { fullName: { type: 'string' } }, required: [] },
          requiredDocuments: [],
          fees: [],
          feeTiming: 'exempt',
          processingDays,
          deliveryOptions: ['online'],
          workflow: {
            states: [
              { key: 'draft', start: true, editableBy: ['citizen'] },
              { key: 'submitted', clock: 'stopped' },
              { key: 'processing', clock: 'running' },
              { key: 'completed', terminal: true },
            ],
            actions: [
              { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
              { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
              { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'] },
            ],
          },
        })
        .expect(201);
      await t.http.post(`${api}/admin/procedures/${code}/versions/1/publish`).set(adm.auth).expect(200);
      const citizen = await newCitizen(t);
      const clerk = await staff(t, 'clerk', 'quan1');
      const d = (
        await t.http
          .post(`${api}/applications`)
          .set(citizen.auth)
          .send({ procedureCode: code, formData: { fullName: 'Ngô Văn Bình' } })
          .expect(201)
      ).body;
      await t.http.post(`${api}/applications/${d.id}/submit`).set(citizen.auth).set(idem()).expect(200);
      const received = (await act(clerk, d.id, 'receive').expect(200)).body;
      return {
        adm,
        clerk,
        id: d.id as string,
        receivedAt: new Date(received.receivedAt),
        dueAt: new Date(received.dueAt),
      };
    }

    it('a dossier whose time limit runs across Tết is due after the Tết days off', async () => {
      // The longest time limit (365 working days, about a year and a half) runs across at least one Tết.
      const d = await receivedAtQuan1(365);
      expect(d.dueAt.toISOString()).toBe(dueDate(national, d.receivedAt, 365).toISOString());
      const tetDays = Object.values(VN_PUBLIC_HOLIDAYS).flatMap((l) =>
        l.filter((h) => h.name.startsWith('Tết Nguyên đán')).map((h) => h.date),
      );
      const crossed = tetDays.filter((h) => h > localDateOf(DEFAULT_CALENDAR, d.receivedAt));
      expect(crossed.length).toBeGreaterThanOrEqual(5);
      // Without Tết the same dossier would be due earlier.
      const withoutTet = { ...national, holidays: national.holidays.filter((h) => !tetDays.includes(h)) };
      expect(d.dueAt.getTime()).toBeGreaterThan(dueDate(withoutTet, d.receivedAt, 365).getTime());
    });

    it('adding a holiday inside a running dossier’s window moves its due date, and its history says so', async () => {
      const d = await receivedAtQuan1(5);
      // The day the dossier is due becomes a holiday of the agency.
      const holiday = localDateOf(DEFAULT_CALENDAR, d.dueAt);
      const edited = await t.http
        .patch(`${api}/admin/agencies/${DEMO.agencies.quan1}`)
        .set(d.adm.auth)
        .send({ calendar: { holidays: [holiday] } })
        .expect(200);
      expect(edited.body.calendar).toMatchObject({ national: true, holidays: [holiday] });
      try {
        const expected = addWorkingTime(
          { ...national, holidays: [...national.holidays, holiday] },
          d.receivedAt,
          workingTimeBetween(national, d.receivedAt, d.dueAt),
        );
        const after = (await t.http.get(`${api}/applications/${d.id}`).set(d.clerk.auth).expect(200)).body;
        expect(new Date(after.dueAt).toISOString()).toBe(expected.toISOString());
        expect(expected.getTime()).toBeGreaterThan(d.dueAt.getTime());
        const history = (await t.http.get(`${api}/applications/${d.id}/history`).set(d.clerk.auth).expect(200)).body;
        expect((history.items ?? history).at(-1)).toMatchObject({
          action: 'due_recalculated',
          actorRole: 'admin',
          fromState: 'processing',
          toState: 'processing',
          data: { reason: 'calendar', previousDueAt: d.dueAt.toISOString(), newDueAt: expected.toISOString() },
        });
      } finally {
        await t.http
          .patch(`${api}/admin/agencies/${DEMO.agencies.quan1}`)
          .set(d.adm.auth)
          .send({ calendar: { holidays: [] } })
          .expect(200);
      }
    });
  });
});
