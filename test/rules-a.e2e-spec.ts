import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DeadlinesService } from '../src/applications/deadlines.service';
import { createTestApp, TestApp } from './support/app';
import { admin, DEMO, DEMO_PASSWORD, idem, newCitizen, Session, staff, workingDaysAfter } from './support/factories';

/**
 * One-stop-shop rules 4-7 (issue 13), each named as a clerk would say it. Every test makes its own data; the
 * procedures it needs are created through the admin API.
 */
describe('one-stop-shop rules (4-7)', () => {
  let t: TestApp;
  let adm: Session;
  beforeAll(async () => {
    t = await createTestApp();
    adm = await admin(t);
  });
  afterAll(() => t.close());

  const api = '/api/v1';
  const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

  /**
   * submit -> receive (clock) -> processing; a supplementation round (clock paused); two states of the agency's
   * own (one labelled, one not) before completing.
   */
  const workflow = () => ({
    states: [
      { key: 'draft', start: true, editableBy: ['citizen'] },
      { key: 'submitted', clock: 'stopped' },
      { key: 'processing', clock: 'running' },
      { key: 'supplement_requested', clock: 'paused', editableBy: ['citizen'], resubmit: 'supplement' },
      { key: 'tham_dinh', clock: 'running', label: 'Thẩm định hồ sơ' },
      { key: 'kiem_tra', clock: 'running' },
      { key: 'completed', terminal: true },
      { key: 'withdrawn', terminal: true },
    ],
    actions: [
      { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
      { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
      {
        key: 'request_supplement',
        from: ['processing', 'supplement_requested'],
        to: 'supplement_requested',
        by: ['clerk'],
        requires: ['comment'],
      },
      { key: 'supplement', from: ['supplement_requested'], to: 'processing', by: ['citizen'] },
      { key: 'review', from: ['processing'], to: 'tham_dinh', by: ['clerk'] },
      { key: 'check', from: ['tham_dinh'], to: 'kiem_tra', by: ['clerk'] },
      { key: 'complete', from: ['processing', 'tham_dinh', 'kiem_tra'], to: 'completed', by: ['clerk'] },
      { key: 'withdraw', from: ['submitted', 'supplement_requested'], to: 'withdrawn', by: ['citizen'] },
    ],
  });

  /** A published procedure at Quận 1 with the workflow above; no fee, no required document. */
  async function procedure(processingDays = 5) {
    const code = `RA-${uid()}`;
    await t.http
      .post(`${api}/admin/procedures`)
      .set(adm.auth)
      .send({ code, name: `Thủ tục ${code}`, agencyCode: DEMO.agencies.quan1, level: 'full' })
      .expect(201);
    await t.http
      .post(`${api}/admin/procedures/${code}/versions`)
      .set(adm.auth)
      .send({
        formSchema: { type: 'object', properties: { fullName: { type: 'string', minLength: 1 } }, required: [] },
        requiredDocuments: [],
        fees: [],
        feeTiming: 'exempt',
        processingDays,
        deliveryOptions: ['online'],
        workflow: workflow(),
      })
      .expect(201);
    await t.http.post(`${api}/admin/procedures/${code}/versions/1/publish`).set(adm.auth).expect(200);
    return code;
  }

  const act = (who: Session, id: string, action: string, body: Record<string, unknown> = {}) =>
    t.http.post(`${api}/applications/${id}/actions/${action}`).set(who.auth).send(body);
  const submit = (who: Session, id: string) =>
    t.http.post(`${api}/applications/${id}/submit`).set(who.auth).set(idem());

  /** The local (Vietnam) date of an instant, YYYY-MM-DD. */
  const vnDay = (d: Date | string) => new Date(d).toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' });
  const vnDate = (d: Date | string) => new Date(d).toLocaleDateString('en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

  /** A new citizen's dossier, submitted and received by a Quận 1 clerk. */
  async function received(locale: 'vi' | 'en' = 'vi', processingDays = 5) {
    const code = await procedure(processingDays);
    const citizen = await newCitizen(t, { locale });
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = (
      await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({ procedureCode: code, formData: { fullName: 'Ngô Văn Bình' } })
        .expect(201)
    ).body;
    await submit(citizen, d.id).expect(200);
    const r = await act(clerk, d.id, 'receive').expect(200);
    return { citizen, clerk, id: d.id as string, code: r.body.code as string, dueAt: r.body.dueAt as string };
  }

  describe('4. notifications show the state’s label in the citizen’s language, never a raw key', () => {
    it('an English-speaking citizen is told the dossier is “Being processed”, then the agency’s own step by its name', async () => {
      const { citizen, clerk, id, code } = await received('en');
      await t.drain();
      const receipt = t.smtp.to(citizen.email).find((m) => m.subject === `Dossier ${code} received`)!;
      expect(receipt.text).toContain('Dossier status: Being processed.');
      expect(receipt.text).not.toMatch(/\bprocessing\b|Đang giải quyết/);

      await act(clerk, id, 'review').expect(200);
      await act(clerk, id, 'check').expect(200);
      await t.drain();
      const updates = t.smtp.to(citizen.email).filter((m) => m.subject === `Dossier ${code} updated`);
      expect(updates.map((m) => /moved to: (.*)\./.exec(m.text)?.[1])).toEqual(['Thẩm định hồ sơ', 'In progress']);
      expect(updates.map((m) => m.text).join()).not.toMatch(/tham_dinh|kiem_tra/);
    });

    it('a Vietnamese-speaking citizen reads the state in Vietnamese', async () => {
      const { citizen, code } = await received('vi');
      await t.drain();
      const receipt = t.smtp.to(citizen.email).find((m) => m.subject === `Tiếp nhận hồ sơ ${code}`)!;
      expect(receipt.text).toContain('Trạng thái hồ sơ: Đang giải quyết.');
    });
  });

  describe('5. an apology is issued before the due date or on the day it passes, with a new date in working time', () => {
    const apologize = (clerk: Session, id: string, newDueAt: Date | string, reason = 'Cần xác minh thêm hồ sơ gốc') =>
      t.http
        .post(`${api}/applications/${id}/apology`)
        .set(clerk.auth)
        .send({ reason, newDueAt: new Date(newDueAt).toISOString() });

    it('a clerk cannot apologise once the day of the due date is over', async () => {
      const { clerk, id } = await received();
      // The due date passed two days ago.
      await t.db.query(`UPDATE dossiers SET due_at = now() - interval '48 hours' WHERE id = $1`, [id]);
      const late = await apologize(clerk, id, await workingDaysAfter(t, id, new Date(), 3));
      expect(late.status).toBe(422);
      expect(late.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(late.body.detail).toMatch(/too late.*on the day it passes/);
      const view = await t.http.get(`${api}/applications/${id}`).set(clerk.auth).expect(200);
      expect(view.body.apologies).toEqual([]);
    });

    it('the new date must be a working day within office hours, after the due date', async () => {
      const { clerk, id, dueAt } = await received();
      // A Sunday after the due date, 10:00.
      const sunday = [1, 2, 3, 4, 5, 6, 7]
        .map((i) => new Date(`${vnDay(new Date(new Date(dueAt).getTime() + i * 86_400_000))}T10:00:00+07:00`))
        .find((d) => d.getUTCDay() === 0)!;
      const weekend = await apologize(clerk, id, sunday);
      expect(weekend.status).toBe(422);
      expect(weekend.body.detail).toMatch(/not in working time/);
      // A working day after the due date, but in the evening.
      const evening = new Date(`${vnDay(await workingDaysAfter(t, id, dueAt, 2))}T19:30:00+07:00`);
      expect((await apologize(clerk, id, evening)).body.detail).toMatch(/not in working time/);
      // Before the due date.
      const before = await apologize(clerk, id, new Date(new Date(dueAt).getTime() - 3_600_000));
      expect([before.status, before.body.detail]).toEqual([422, expect.stringMatching(/later than the current due/)]);
      expect((await t.http.get(`${api}/applications/${id}`).set(clerk.auth)).body.apologies).toEqual([]);
    });

    it('the public lookup shows the apology’s new date next to the original due date, in both languages', async () => {
      const { citizen, clerk, id, code, dueAt } = await received();
      const q = { code, idNumber: citizen.idNumber };
      expect((await t.http.get(`${api}/lookup`).query(q).expect(200)).body.apologyDueAt).toBeNull();
      const newDueAt = await workingDaysAfter(t, id, dueAt, 3);
      await apologize(clerk, id, newDueAt).expect(200);
      const answer = await t.http.get(`${api}/lookup`).query(q).expect(200);
      expect(answer.body).toMatchObject({ code, dueAt, apologyDueAt: newDueAt.toISOString() });

      for (const [lang, label, original] of [
        ['vi', 'Ngày hẹn trả mới (thư xin lỗi)', 'hạn trả ban đầu'],
        ['en', 'New date (apology)', 'originally due'],
      ]) {
        const agent = request.agent(t.url);
        const form = await agent.get('/lookup').set('Accept-Language', lang).expect(200);
        const page = await agent
          .post('/lookup')
          .set('Accept-Language', lang)
          .type('form')
          .send({ _csrf: csrfOf(form.text), ...q })
          .expect(200);
        const text = page.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
        expect(text).toContain(`${label} ${vnDate(newDueAt)} (${original}: ${vnDate(dueAt)})`);
      }
    });
  });

  describe('6. the deadline sweep warns about paused dossiers whose due date would pass', () => {
    it('a dossier waiting for the citizen’s supplement past its due date: the clerks are warned and the citizen reminded, once per pause', async () => {
      const { citizen, clerk, id, code } = await received();
      const sweep = () => t.app.get(DeadlinesService).sweep();
      /** Asks for a supplement and lets the due date pass during the pause (just after it began). */
      const pausePastDue = async (comment: string) => {
        await act(clerk, id, 'request_supplement', { comment }).expect(200);
        await t.db.query(`UPDATE dossiers SET due_at = paused_at + interval '1 millisecond' WHERE id = $1`, [id]);
      };
      const reminders = () => t.smtp.to(citizen.email).filter((m) => m.subject === `Nhắc bổ sung hồ sơ ${code}`);
      const warnings = () =>
        t.smtp
          .to('clerk.quan1@demo.local')
          .filter((m) => m.subject === `Hồ sơ ${code} chờ bổ sung đã qua hạn trả ban đầu`);

      await sweep();
      await t.drain();
      expect([reminders().length, warnings().length]).toEqual([0, 0]); // running, not due: nothing

      await pausePastDue('Thiếu bản sao giấy khai sinh');
      expect((await sweep()).pausedPastDue).toBeGreaterThanOrEqual(1);
      await sweep();
      await t.drain();
      expect(reminders()).toHaveLength(1);
      expect(reminders()[0].text).toContain('Thiếu bản sao giấy khai sinh');
      expect(warnings()).toHaveLength(1);
      // Paused, it is not overdue: the clock waits for the citizen.
      const view = await t.http.get(`${api}/applications/${id}`).set(clerk.auth).expect(200);
      expect(view.body).toMatchObject({ clockPaused: true });
      expect(view.body.standing).not.toBe('overdue');

      // The citizen supplements; a new request pauses it again: a new pause, a new reminder.
      await submit(citizen, id).expect(200);
      await pausePastDue('Thiếu ảnh 4x6');
      await sweep();
      await sweep();
      await t.drain();
      expect(reminders()).toHaveLength(2);
      expect(reminders()[1].text).toContain('Thiếu ảnh 4x6');
      expect(warnings()).toHaveLength(2);
    });
  });

  describe('7. supplementation is requested once per round, listing every item; a repeated item is flagged', () => {
    it('the clerk lists every item once per round; the portal counts the rounds; an item asked again goes to the supervisor', async () => {
      const { citizen, clerk, id, code } = await received();
      const view = async () => (await t.http.get(`${api}/applications/${id}`).set(citizen.auth).expect(200)).body;
      const lastEntry = async () =>
        (await t.http.get(`${api}/applications/${id}/history`).set(citizen.auth).expect(200)).body.at(-1);
      expect((await view()).supplementRounds).toBe(0);

      // The same item twice in one request, or no item at all: refused, nothing written.
      const twice = await act(clerk, id, 'request_supplement', {
        comment: 'Bổ sung giấy tờ',
        items: [{ name: 'Bản sao giấy khai sinh' }, { name: ' bản sao  giấy khai sinh ' }],
      });
      expect([twice.status, twice.body.errors]).toEqual([422, [expect.objectContaining({ field: 'items[1].name' })]]);
      expect((await act(clerk, id, 'request_supplement', { comment: 'Bổ sung', items: [] })).status).toBe(400);
      expect((await view()).state).toBe('processing');

      await act(clerk, id, 'request_supplement', {
        comment: 'Đề nghị bổ sung các giấy tờ sau',
        items: [{ name: 'Bản sao giấy khai sinh', reason: 'Chưa được chứng thực' }, { name: 'Ảnh 4x6' }],
      }).expect(200);
      expect(await lastEntry()).toMatchObject({
        action: 'request_supplement',
        data: {
          round: 1,
          items: [{ name: 'Bản sao giấy khai sinh', reason: 'Chưa được chứng thực' }, { name: 'Ảnh 4x6' }],
        },
      });
      expect((await lastEntry()).data.repeatedItems).toBeUndefined();
      expect((await view()).supplementRounds).toBe(1);

      // A second request before the citizen answered: one request per round.
      const again = await act(clerk, id, 'request_supplement', {
        comment: 'Quên một giấy tờ',
        items: [{ name: 'Sổ hộ khẩu' }],
      });
      expect([again.status, again.body.detail]).toEqual([409, expect.stringMatching(/one request per round/)]);
      expect((await view()).supplementRounds).toBe(1);

      // The citizen supplements; the next round asks again for the birth certificate.
      await submit(citizen, id).expect(200);
      await act(clerk, id, 'request_supplement', {
        comment: 'Bản sao chưa rõ',
        items: [{ name: 'bản sao giấy khai sinh' }, { name: 'Sổ hộ khẩu' }],
      }).expect(200);
      expect((await lastEntry()).data).toMatchObject({ round: 2, repeatedItems: ['bản sao giấy khai sinh'] });
      expect((await view()).supplementRounds).toBe(2);
      await t.drain();
      const flagged = t.smtp
        .to('supervisor.quan1@demo.local')
        .filter((m) => m.subject === `Hồ sơ ${code}: yêu cầu bổ sung lặp lại nội dung đã yêu cầu`);
      expect(flagged).toHaveLength(1);
      expect(flagged[0].text).toContain('bản sao giấy khai sinh');
      expect(t.smtp.to('clerk.quan1@demo.local').map((m) => m.subject)).not.toContain(flagged[0].subject);
    });

    it('on the pages: the clerk lists the items one per line; the citizen sees them and how many rounds there were', async () => {
      const { citizen, id } = await received();
      const signIn = async (email: string, password: string) => {
        const agent = request.agent(t.url);
        const form = await agent.get('/login').expect(200);
        await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email, password })
          .expect(303);
        return agent;
      };
      const clerkPages = await signIn('clerk.quan1@demo.local', DEMO_PASSWORD);
      const confirm = await clerkPages.get(`/staff/dossiers/${id}/actions/request_supplement`).expect(200);
      expect(confirm.text).toMatch(/<textarea[^>]+id="items"[^>]+name="items"/);
      const version = /name="version" value="(\d+)"/.exec(confirm.text)![1];
      const post = (items: string) =>
        clerkPages
          .post(`/staff/dossiers/${id}/actions/request_supplement`)
          .type('form')
          .send({ _csrf: csrfOf(confirm.text), version, comment: 'Đề nghị bổ sung', items });
      // The same item twice: the form again, with the error on the list.
      const twice = await post('Ảnh 4x6\n ảnh 4x6 ').expect(422);
      expect(twice.text).toContain('href="#items"');
      await post('Bản sao giấy khai sinh\n\nẢnh 4x6\n').expect(303);

      const citizenPages = await signIn(citizen.email, 'Citizen-pass-1');
      const page = await citizenPages.get(`/dossiers/${id}`).expect(200);
      const listed = /<ul[^>]*id="dossier-asked-items"[^>]*>([\s\S]*?)<\/ul>/.exec(page.text)![1];
      expect([...listed.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1].trim())).toEqual([
        'Bản sao giấy khai sinh',
        'Ảnh 4x6',
      ]);
      expect(page.text).toMatch(/id="dossier-supplement-rounds">1</);
    });
  });
});
