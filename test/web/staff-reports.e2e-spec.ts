import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { admin, DEMO, DEMO_PASSWORD, idem, newCitizen, Session, staff, uploadDocument } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(240_000);

const BIRTH_FORM = { fullName: 'Lê Thị Hoa', dateOfBirth: '1990-05-01', copies: 1 };

/** This month in Vietnam time: `YYYY-MM` (the month inputs) and `MM/YYYY` (the pages). */
function thisMonth(): { key: string; label: string } {
  const local = new Date(Date.now() + 7 * 3_600_000).toISOString();
  return { key: local.slice(0, 7), label: `${local.slice(5, 7)}/${local.slice(0, 4)}` };
}

/**
 * The supervisor's pages in a real browser: /staff/assign (clerk loads, assigning and reassigning an unassigned
 * dossier, refusals as an error summary with nothing written, another agency's dossier not found) and
 * /staff/reports (the indicators per procedure and month as SVG charts and a table, the same numbers as the API,
 * the CSV), /staff/reports/payments; clerks and citizens get the not-found page.
 */
describe('the supervisor pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let adm: Session;
  const checker = new PageChecker();
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureAssets();
    browser = await launchBrowser();
    t = await createTestApp();
    adm = await admin(t);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(javaScript = true): Promise<Page> {
    const context = await checker.context(browser, { javaScript });
    contexts.push(context);
    return context.newPage();
  }

  const go = (page: Page, path: string) => page.goto(`${t.url}${path}`);
  const suffix = (js: boolean) => (js ? '' : '-nojs');
  const main = async (page: Page) => (await page.textContent('main'))!;
  const expectClean = () => expect(checker.takeProblems()).toEqual([]);

  async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  /** A new clerk of an agency (its load starts at nothing). */
  async function newClerk(agencyCode: string, fullName: string): Promise<string> {
    const res = await t.http
      .post(`${api}/admin/staff`)
      .set(adm.auth)
      .send({
        email: `clerk-${randomUUID().slice(0, 8)}@example.vn`,
        password: 'Clerk-pass-2026',
        role: 'clerk',
        agencyCode,
        fullName,
      })
      .expect(201);
    return res.body.id as string;
  }

  /** A birth-extract dossier (Phường Bến Nghé) filed by a new citizen: submitted, unassigned. */
  async function submitted(): Promise<{ id: string; code: string; citizen: Session }> {
    const citizen = await newCitizen(t);
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: DEMO.birthExtract, formData: BIRTH_FORM })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
    const s = await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    return { id: d.body.id, code: s.body.code, citizen };
  }

  const assigneeOf = async (id: string): Promise<string | null> => {
    const [row] = await t.db.query<{ assignee_id: string | null }[]>(`SELECT assignee_id FROM dossiers WHERE id = $1`, [
      id,
    ]);
    return row.assignee_id;
  };
  const openLoad = async (page: Page, clerkId: string) =>
    page.getAttribute(`#clerk-loads tr[data-clerk="${clerkId}"] td[data-open]`, 'data-open');

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('a supervisor sees the clerk loads, assigns an unassigned dossier and reassigns it', async () => {
      const uid = randomUUID().slice(0, 6);
      const clerkA = await newClerk(DEMO.agencies.bennghe, `Cán bộ An ${uid}`);
      const clerkB = await newClerk(DEMO.agencies.bennghe, `Cán bộ Bình ${uid}`);
      const d = await submitted();
      const page = await open(js);
      await signIn(page, 'supervisor.bennghe@demo.local');
      await go(page, '/staff/assign');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Phân công hồ sơ');
      expect(await openLoad(page, clerkA)).toBe('0');
      expect(await openLoad(page, clerkB)).toBe('0');
      const card = page.locator(`#unassigned li[data-dossier="${d.id}"]`);
      expect(await card.textContent()).toContain(d.code);
      await checker.check(page, `staff-assign${suffix(js)}`);

      await card.getByLabel(`Giao hồ sơ ${d.code} cho`).selectOption(clerkA);
      await card.getByRole('button', { name: 'Phân công' }).click();
      await page.waitForURL(/notice=staff-assigned/);
      expect(await main(page)).toContain('Đã phân công hồ sơ.');
      expect(await page.textContent('#focus-assignee')).toBe(`Cán bộ An ${uid}`);
      expect(await openLoad(page, clerkA)).toBe('1');
      expect(await page.locator(`#unassigned li[data-dossier="${d.id}"]`).count()).toBe(0);
      expect(await assigneeOf(d.id)).toBe(clerkA);
      await checker.check(page, `staff-assign-focus${suffix(js)}`);

      // Reassigned to the other clerk: the loads move with it, and the dossier's history says so.
      await page.getByLabel('Giao lại cho cán bộ').selectOption(clerkB);
      await page.getByRole('button', { name: 'Giao lại' }).click();
      await page.waitForURL(/notice=staff-assigned/);
      expect(await page.textContent('#focus-assignee')).toBe(`Cán bộ Bình ${uid}`);
      expect(await openLoad(page, clerkA)).toBe('0');
      expect(await openLoad(page, clerkB)).toBe('1');
      expect(await assigneeOf(d.id)).toBe(clerkB);
      const sup = await staff(t, 'supervisor', 'bennghe');
      const history = (await t.http.get(`${api}/applications/${d.id}/history`).set(sup.auth).expect(200)).body as {
        action: string;
      }[];
      expect(history.filter((h) => h.action === 'assign')).toHaveLength(2);

      // Posting without a clerk: the error summary, nothing written.
      await page.getByLabel('Giao lại cho cán bộ').selectOption('');
      await page.getByRole('button', { name: 'Giao lại' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary')).toContain('Chọn cán bộ được giao hồ sơ');
      expect(await page.getAttribute('.govuk-error-summary a', 'href')).toBe('#clerkId');
      expect(await assigneeOf(d.id)).toBe(clerkB);
      await checker.check(page, `staff-assign-error${suffix(js)}`);
      expectClean();
    });
  });

  it('refuses a clerk of another agency and a closed dossier with an error summary, writing nothing', async () => {
    const uid = randomUUID().slice(0, 6);
    const clerk = await newClerk(DEMO.agencies.bennghe, `Cán bộ Cường ${uid}`);
    const elsewhere = await newClerk(DEMO.agencies.quan1, `Cán bộ Quận 1 ${uid}`);
    const d = await submitted();
    const page = await open();
    await signIn(page, 'supervisor.bennghe@demo.local');

    // A clerk of Quận 1 slipped into the select (a forged form): refused.
    await go(page, `/staff/assign?dossier=${d.id}`);
    expect(await page.textContent('#focus-assignee')).toBe('Chưa phân công');
    await page.evaluate(`document.querySelector('#clerkId').add(new Option('x', '${elsewhere}'))`);
    await page.locator('#clerkId').selectOption(elsewhere);
    await page.getByRole('button', { name: 'Phân công' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    expect(await page.textContent('.govuk-error-summary')).toContain('Cán bộ được chọn không thuộc cơ quan của hồ sơ');
    expect(await assigneeOf(d.id)).toBeNull();

    // A withdrawn dossier is closed: it cannot be assigned.
    await t.http.post(`${api}/applications/${d.id}/actions/withdraw`).set(d.citizen.auth).send({}).expect(200);
    await go(page, `/staff/assign?dossier=${d.id}`);
    await page.locator('#clerkId').selectOption(clerk);
    await page.getByRole('button', { name: 'Phân công' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    expect(await page.textContent('.govuk-error-summary')).toContain('không thể phân công');
    expect(await assigneeOf(d.id)).toBeNull();
    await checker.check(page, 'staff-assign-closed');
    expectClean();
  });

  it("a supervisor of another agency gets the not-found page for this agency's dossier, and cannot assign it", async () => {
    const clerk = await newClerk(DEMO.agencies.bennghe, 'Cán bộ Dũng');
    const d = await submitted();
    const page = await open();
    await signIn(page, 'supervisor.quan1@demo.local');
    const res = await go(page, `/staff/assign?dossier=${d.id}`);
    expect(res!.status()).toBe(404);
    await checker.check(page, 'staff-assign-other-agency');
    const csrf = (await page.getAttribute('input[name=_csrf]', 'value'))!;
    const post = await page.context().request.post(`${t.url}/staff/assign`, {
      form: { _csrf: csrf, dossierId: d.id, clerkId: clerk },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(404);
    expect(await assigneeOf(d.id)).toBeNull();
    // Their own page does not list it either.
    await go(page, '/staff/assign');
    expect(await page.locator(`li[data-dossier="${d.id}"]`).count()).toBe(0);
    expect(await page.locator(`tr[data-clerk="${clerk}"]`).count()).toBe(0);
    expectClean();
  });

  describe.each([true, false])('reports with JavaScript %s', (js) => {
    it('shows the indicators of a period with a finished dossier as charts, a table and CSV, as the API does', async () => {
      // One dossier driven to its end through the API: received, completed (result issued), rated.
      const d = await submitted();
      const clerk = await staff(t, 'clerk', 'bennghe');
      await t.http.post(`${api}/applications/${d.id}/actions/receive`).set(clerk.auth).send({}).expect(200);
      await t.http.post(`${api}/applications/${d.id}/actions/complete`).set(clerk.auth).send({}).expect(200);
      await t.drain();
      await t.http.post(`${api}/applications/${d.id}/rating`).set(d.citizen.auth).send({ score: 5 }).expect(201);

      const month = thisMonth();
      const sup = await staff(t, 'supervisor', 'bennghe');
      const [y, m] = month.key.split('-').map(Number);
      const nextKey = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
      const fromApi = await t.http
        .get(`${api}/reports/indicators`)
        .query({ from: `${month.key}-01`, to: nextKey, procedure: DEMO.birthExtract })
        .set(sup.auth)
        .expect(200);
      const row = fromApi.body.rows[0];
      expect(row).toMatchObject({ agencyCode: DEMO.agencies.bennghe, procedureCode: DEMO.birthExtract });
      expect(row.finished).toBeGreaterThanOrEqual(1);
      expect(row.ratings).toBeGreaterThanOrEqual(1);

      const page = await open(js);
      await signIn(page, 'supervisor.bennghe@demo.local');
      await go(page, '/staff/reports');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Chỉ số đánh giá');
      await page.getByLabel('Từ tháng', { exact: true }).fill(month.key);
      await page.getByLabel('Đến tháng', { exact: true }).fill(month.key);
      await page.getByRole('button', { name: 'Xem báo cáo' }).click();
      await page.waitForURL(new RegExp(`from=${month.key}&to=${month.key}`));
      await checker.check(page, `staff-reports${suffix(js)}`);

      const chart = page.locator('#chart-onTimeRate');
      expect(await chart.getAttribute('role')).toBe('img');
      expect(await chart.locator('title').textContent()).toContain('Tỷ lệ giải quyết đúng hạn');
      expect(await chart.locator('desc').textContent()).toContain('bảng bên dưới');
      const bar = (id: string) => page.locator(`#${id} g[data-bar="${month.label} · ${DEMO.birthExtract}"]`);
      for (const [id, key] of [
        ['chart-onTimeRate', 'onTimeRate'],
        ['chart-onlineRate', 'onlineRate'],
        ['chart-onlinePaymentRate', 'onlinePaymentRate'],
        ['chart-satisfactionRate', 'satisfactionRate'],
      ] as const) {
        expect(await bar(id).getAttribute('data-value')).toBe(row[key] === null ? '' : String(row[key]));
      }
      const pct = (v: number) =>
        `${new Intl.NumberFormat('vi-VN', { style: 'percent', maximumFractionDigits: 1 }).format(v)}`;
      expect(await bar('chart-onTimeRate').textContent()).toContain(pct(row.onTimeRate));
      const cells = await page
        .locator(`#indicators-table tr[data-month="${month.key}"][data-procedure="${DEMO.birthExtract}"] td`)
        .allTextContents();
      expect(cells.slice(1)).toEqual([
        String(row.received),
        String(row.finished),
        String(row.onTime),
        pct(row.onTimeRate),
        row.onlineRate === null ? '–' : pct(row.onlineRate),
        row.onlinePaymentRate === null ? '–' : pct(row.onlinePaymentRate),
        String(row.ratings),
        pct(row.satisfactionRate),
      ]);
      expect(cells[0]).toContain('Cấp bản sao Trích lục khai sinh');

      // The CSV: the month, then the API's columns; the same numbers.
      const href = (await page.getAttribute('#reports-csv', 'href'))!;
      expect(href).toBe(`/staff/reports.csv?from=${month.key}&to=${month.key}`);
      const csv = await page.context().request.get(`${t.url}${href}`);
      expect(csv.status()).toBe(200);
      expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).toBe(
        'month,agencyCode,procedureCode,received,finished,onTime,late,onTimeRate,onlineRate,onlinePaymentRate,avgProcessingHours,satisfactionRate,ratings,avgScore,withdrawn,refused,counter,post,digitisationRate',
      );
      expect(lines).toContain(
        [
          month.key,
          ...Object.values(row as Record<string, string | number | null>).map((v) => (v === null ? '' : String(v))),
        ].join(','),
      );

      // A period the wrong way round: the error summary, linked to the field.
      await go(page, `/staff/reports?from=${month.key}&to=2001-01`);
      expect(await page.textContent('.govuk-error-summary')).toContain(
        'Tháng kết thúc phải bằng hoặc sau tháng bắt đầu',
      );
      expect(await page.getAttribute('.govuk-error-summary a', 'href')).toBe('#to');
      await checker.check(page, `staff-reports-error${suffix(js)}`);
      expectClean();
    });
  });

  it('shows the payment reconciliation of a period', async () => {
    const page = await open();
    await signIn(page, 'supervisor.bennghe@demo.local');
    const month = thisMonth();
    await go(page, `/staff/reports/payments?from=${month.key}&to=${month.key}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Đối soát thanh toán');
    expect(await page.locator('#payments-attempts tr[data-state="succeeded"] th').textContent()).toBe('Thành công');
    expect(await page.textContent('#payments-checks')).toContain('Thông báo sai số tiền');
    // A supervisor sees their agency only: no count of unattributed callbacks (that is an admin's).
    expect(await page.textContent('#payments-checks')).not.toContain('Thông báo bị từ chối');
    await checker.check(page, 'staff-reports-payments');
    expectClean();
  });

  it('a clerk and a citizen get the not-found page', async () => {
    const page = await open();
    await signIn(page, 'clerk.bennghe@demo.local');
    for (const path of ['/staff/reports', '/staff/assign', '/staff/reports/payments', '/staff/reports.csv']) {
      expect((await go(page, path))!.status()).toBe(404);
    }
    await checker.check(page, 'staff-reports-clerk-404');
    const citizen = await newCitizen(t);
    const other = await open(false);
    await signIn(other, citizen.email, 'Citizen-pass-1');
    for (const path of ['/staff/reports', '/staff/assign']) expect((await go(other, path))!.status()).toBe(404);
    expectClean();
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(10);
    expect(await checker.validateAll()).toEqual([]);
  });
});
