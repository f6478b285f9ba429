import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { JobQueues } from '../../src/jobs/jobs.module';
import { jobOptions, QUEUES } from '../../src/jobs/jobs';
import { createTestApp, TestApp } from '../support/app';
import { admin, DEMO, DEMO_PASSWORD, newCitizen, waitFor } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(180_000);

interface AgencyView {
  code: string;
  name: string;
  calendar: { officeHours: { start: string; end: string }[]; workingWeekdays: number[]; holidays: string[] };
}

/**
 * The administrator's pages in a real browser: agencies (name, office hours, holidays, create), staff accounts
 * (create with an emailed link, disable, enable, reset link), failed notifications with their retry, and Bull
 * Board at /admin/queues behind the administrator's page session. Each of our pages is checked like the citizen
 * pages (axe, CSP, 360 px, screenshots, Nu HTML Checker); Bull Board's own pages are not ours and are not.
 */
describe('administrator pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const checker = new PageChecker();
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureAssets();
    browser = await launchBrowser();
    t = await createTestApp({ env: { LOGIN_RATE_LIMIT: '200' } });
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
  const expectClean = () => expect(checker.takeProblems()).toEqual([]);

  async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  async function agencyOverApi(code: string): Promise<AgencyView> {
    const a = await admin(t);
    const res = await t.http.get(`${api}/admin/agencies`).set(a.auth).expect(200);
    return (res.body as AgencyView[]).find((x) => x.code === code)!;
  }

  describe.each([true, false])('with JavaScript %s', (js) => {
    const suffix = js ? '' : '-nojs';

    it('edits an agency’s office hours and holidays, and creates an agency (errors first)', async () => {
      const page = await open(js);
      await signIn(page, 'admin@demo.local');
      await go(page, '/admin');
      await checker.check(page, `admin-index${suffix}`);
      await page.getByRole('link', { name: 'Cơ quan', exact: true }).click();
      await page.waitForURL(/\/admin\/agencies$/);
      await checker.check(page, `admin-agencies${suffix}`);

      // A new agency: a bad code first (error summary, nothing written), then a good one.
      const code = `T${randomUUID().slice(0, 8)}.H56`;
      await page.getByLabel('Mã cơ quan').fill('bad code!');
      await page.getByLabel('Tên cơ quan').fill(`Phường Thử${suffix || '-js'}`);
      await page.getByRole('button', { name: 'Thêm cơ quan' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      const summaryLink = page.locator('.govuk-error-summary__list a');
      expect(await summaryLink.getAttribute('href')).toBe('#code');
      expect(await summaryLink.textContent()).toContain('Nhập mã cơ quan');
      expect(await page.locator('#code').getAttribute('aria-describedby')).toContain('code-error');
      await checker.check(page, `admin-agencies-errors${suffix}`);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM agencies WHERE name = $1`, [
        `Phường Thử${suffix || '-js'}`,
      ]);
      expect(n).toBe(0);
      await page.getByLabel('Mã cơ quan').fill(code);
      await page.getByRole('button', { name: 'Thêm cơ quan' }).click();
      await page.waitForURL(new RegExp(`/admin/agencies/${code.replace(/\./g, '\\.')}\\?notice=agency-created`));
      expect(await page.textContent('main')).toContain('Đã thêm cơ quan.');
      await checker.check(page, `admin-agency${suffix}`);
      expect((await agencyOverApi(code)).name).toBe(`Phường Thử${suffix || '-js'}`);

      // Office hours: a bad time, then Saturday mornings added and the afternoon shortened.
      await page.locator('#period2End').fill('25:00');
      await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.locator('.govuk-error-summary__list a').getAttribute('href')).toBe('#period2End');
      await checker.check(page, `admin-agency-errors${suffix}`);
      expect((await agencyOverApi(code)).calendar.officeHours).toEqual([
        { start: '07:00', end: '11:30' },
        { start: '13:30', end: '17:00' },
      ]);
      await page.locator('#period2End').fill('16:30');
      await page.getByLabel('Thứ bảy').check();
      await page.getByRole('button', { name: 'Lưu thay đổi' }).click();
      await page.waitForURL(/notice=agency-saved/);
      let saved = await agencyOverApi(code);
      expect(saved.calendar.officeHours).toEqual([
        { start: '07:00', end: '11:30' },
        { start: '13:30', end: '16:30' },
      ]);
      expect([...saved.calendar.workingWeekdays].sort()).toEqual([1, 2, 3, 4, 5, 6]);

      // Holidays: a date that does not exist, then 2 September added twice (the second refused), then removed.
      await page.locator('#holiday').fill('31');
      await page.locator('#holiday-month').fill('2');
      await page.locator('#holiday-year').fill('2026');
      await page.getByRole('button', { name: 'Thêm ngày nghỉ' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.locator('.govuk-error-summary__list a').getAttribute('href')).toBe('#holiday');
      await checker.check(page, `admin-agency-holiday-errors${suffix}`);
      await page.locator('#holiday').fill('2');
      await page.locator('#holiday-month').fill('9');
      await page.getByRole('button', { name: 'Thêm ngày nghỉ' }).click();
      await page.waitForURL(/notice=holiday-added/);
      expect(await page.textContent('#holidays')).toContain('02/09/2026');
      expect((await agencyOverApi(code)).calendar.holidays).toEqual(['2026-09-02']);
      await page.locator('#holiday').fill('02');
      await page.locator('#holiday-month').fill('09');
      await page.locator('#holiday-year').fill('2026');
      await page.getByRole('button', { name: 'Thêm ngày nghỉ' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary')).toContain('Ngày này đã có trong lịch nghỉ');
      await page.getByRole('button', { name: 'Xoá ngày nghỉ 02/09/2026' }).click();
      await page.waitForURL(/notice=holiday-removed/);
      saved = await agencyOverApi(code);
      expect(saved.calendar.holidays).toEqual([]);
      expect(saved.calendar.officeHours[1]).toEqual({ start: '13:30', end: '16:30' });
      expectClean();
    });
  });

  /** The path and query of the last reset link mailed to an address (after the outbox and the worker ran). */
  async function mailedLink(email: string, count: number): Promise<string> {
    await t.drain();
    const mails = await waitFor(() => (t.smtp.to(email).length >= count ? t.smtp.to(email) : null), 'the email');
    const text = mails[mails.length - 1].text.replace(/=\r?\n/g, '');
    const m = /\S+(\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(text);
    expect(m).not.toBeNull();
    return m![1];
  }

  async function canSignIn(email: string, password: string): Promise<boolean> {
    const res = await t.http.post(`${api}/auth/login`).send({ email, password });
    return res.status === 200;
  }

  it('creates a staff account (errors first), which sets its password by the emailed link; disables, enables, resets', async () => {
    const page = await open();
    await signIn(page, 'admin@demo.local');
    await go(page, '/admin/staff');
    await checker.check(page, 'admin-staff');
    await page.getByRole('link', { name: 'Tạo tài khoản cán bộ' }).click();
    await page.waitForURL(/\/admin\/staff\/new$/);
    await checker.check(page, 'admin-staff-new');

    // A clerk with no agency and a bad email: both in the summary, nothing written.
    const email = `clerk-${randomUUID().slice(0, 8)}@agency.gov.vn`;
    await page.getByLabel('Họ và tên').fill('Trần Văn Bình');
    await page.getByLabel('Địa chỉ email').fill('not-an-email');
    await page.getByLabel('Cán bộ tiếp nhận, xử lý').check();
    await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    const hrefs = await page
      .locator('.govuk-error-summary__list a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(['#email', '#agencyCode']);
    await checker.check(page, 'admin-staff-new-errors');
    await page.getByLabel('Địa chỉ email').fill(email);
    await page.getByLabel('Cơ quan').selectOption(DEMO.agencies.quan1);
    await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
    await page.waitForURL(/\/admin\/staff\?notice=staff-created/);
    const card = page.locator(`[data-staff="${email}"]`);
    expect(await card.textContent()).toContain('UBND Quận 1');
    expect(await card.textContent()).toContain('Chưa đăng nhập');
    await checker.check(page, 'admin-staff-created');

    // The link sets the password; the new clerk signs in.
    const first = await mailedLink(email, 1);
    const token = new URL(first, t.url).searchParams.get('token');
    await t.http.post(`${api}/auth/password/reset`).send({ token, password: 'Can-bo-moi-1' }).expect(204);
    expect(await canSignIn(email, 'Can-bo-moi-1')).toBe(true);

    // Disable: a confirmation first; then the account cannot sign in.
    await go(page, '/admin/staff');
    await card.getByRole('link', { name: /Khoá tài khoản/ }).click();
    await page.waitForURL(/\/disable$/);
    expect(await page.textContent('h1')).toContain('Trần Văn Bình');
    await checker.check(page, 'admin-staff-disable');
    await page.getByRole('button', { name: 'Có, khoá tài khoản' }).click();
    await page.waitForURL(/notice=staff-disabled/);
    expect(await card.textContent()).toContain('Đã khoá');
    expect(await canSignIn(email, 'Can-bo-moi-1')).toBe(false);

    // Enable: it signs in again; then a reset link is mailed.
    await card.getByRole('button', { name: /Mở khoá tài khoản/ }).click();
    await page.waitForURL(/notice=staff-enabled/);
    expect(await canSignIn(email, 'Can-bo-moi-1')).toBe(true);
    await card.getByRole('button', { name: /Gửi đường dẫn đặt lại mật khẩu/ }).click();
    await page.waitForURL(/notice=staff-reset/);
    expect(await page.textContent('main')).toContain('Đã gửi đường dẫn đặt lại mật khẩu');
    const second = await mailedLink(email, 2);
    expect(second).not.toBe(first);
    expectClean();
  });

  it('lists a notification job that gave up and retries it: the message goes out', async () => {
    const citizen = await newCitizen(t);
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: DEMO.birthExtract, formData: { fullName: 'Lý Thường Kiệt' } })
      .expect(201);
    // The relay refuses the citizen's address, and the job has one attempt only: it fails for good.
    t.smtp.refused.add(citizen.email.toLowerCase());
    const queue = t.app.get(JobQueues).get(QUEUES.notifications);
    const jobId = randomUUID();
    await queue.add(
      'dossier-event',
      { dossierId: d.body.id, event: 'submit', sourceId: randomUUID() },
      { ...jobOptions('dossier-event'), attempts: 1, jobId },
    );
    await waitFor(async () => (await queue.getJob(jobId))?.isFailed(), 'the job to fail');

    const page = await open();
    await signIn(page, 'admin@demo.local');
    await go(page, '/admin/notifications');
    const job = page.locator(`[data-job="${jobId}"]`);
    expect(await job.textContent()).toContain('1 message(s) not delivered yet');
    expect(await job.textContent()).toContain(d.body.id);
    expect(await page.textContent('#failed-messages')).toContain('550');
    await checker.check(page, 'admin-notifications');

    t.smtp.refused.clear();
    await job.getByRole('button', { name: /Gửi lại/ }).click();
    await page.waitForURL(/notice=job-retried/);
    await t.drain();
    await waitFor(() => t.smtp.to(citizen.email).length > 0, 'the email sent again');
    await waitFor(async () => (await queue.getJob(jobId))?.isCompleted(), 'the job to complete');
    await go(page, '/admin/notifications');
    expect(await page.locator(`[data-job="${jobId}"]`).count()).toBe(0);
    expectClean();
  });

  it('serves Bull Board to administrators only, and refuses its state changes from another site', async () => {
    // Bull Board's pages are not ours: a plain context (no axe, no CSP-console check of our pages).
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    const blockedScripts: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text()) && /script/i.test(m.text()))
        blockedScripts.push(m.text());
    });

    // Anonymous: sent to sign in, and back.
    const anonymous = await go(page, '/admin/queues');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/admin/queues');
    expect(anonymous?.status()).toBe(200);
    await page.getByLabel('Email hoặc số điện thoại').fill('admin@demo.local');
    await page.getByLabel('Mật khẩu').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL(/\/admin\/queues/);
    for (const name of Object.values(QUEUES)) await page.getByText(name, { exact: true }).first().waitFor();
    expect(blockedScripts).toEqual([]);

    // Its API: same-origin calls work; another site's (or an unmarked one's) are refused, and change nothing.
    const cookies = await context.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const queue = t.app.get(JobQueues).get(QUEUES.delivery);
    const pause = `/admin/queues/api/queues/${QUEUES.delivery}/pause`;
    const board = () => request(t.app.getHttpServer());
    const refused: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      {},
      { 'Sec-Fetch-Site': 'cross-site' },
    ];
    for (const headers of refused) {
      expect((await board().put(pause).set('Cookie', cookie).set(headers)).status).toBe(403);
    }
    expect(await queue.isPaused()).toBe(false);
    expect((await board().put(pause).set('Cookie', cookie).set('Origin', t.url)).status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    const resume = `/admin/queues/api/queues/${QUEUES.delivery}/resume`;
    await board().put(resume).set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').expect(200);
    expect(await queue.isPaused()).toBe(false);
    const csp = (await board().get('/admin/queues').set('Cookie', cookie).expect(200)).headers[
      'content-security-policy'
    ];
    expect(csp).toContain("script-src 'self';");

    // A clerk signed in on the pages: the not-found page, for the board and its API.
    const clerk = await open();
    await signIn(clerk, 'clerk.quan1@demo.local');
    const res = await go(clerk, '/admin/queues');
    expect(res?.status()).toBe(404);
    const api404 = await clerk.request.get(`${t.url}/admin/queues/api/queues`);
    expect(api404.status()).toBe(404);
    await checker.check(clerk, 'admin-queues-clerk-404');
    expectClean();
  });

  it('gives a citizen the not-found page on every administrator page', async () => {
    const citizen = await newCitizen(t);
    const page = await open();
    await signIn(page, citizen.email, 'Citizen-pass-1');
    for (const path of [
      '/admin',
      '/admin/agencies',
      `/admin/agencies/${DEMO.agencies.quan1}`,
      '/admin/staff',
      '/admin/staff/new',
      '/admin/notifications',
      '/admin/queues',
    ]) {
      const res = await go(page, path);
      expect([path, res?.status()]).toEqual([path, 404]);
      expect(await page.textContent('h1')).toBe('Không tìm thấy trang');
    }
    await checker.check(page, 'admin-citizen-404');
    // A form post too: nothing done.
    const [{ id }] = await t.db.query(`SELECT id FROM accounts WHERE email = 'clerk.quan1@demo.local'`);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const post = await page.request.post(`${t.url}/admin/staff/${id}/disable`, { form: { _csrf: csrf } });
    expect(post.status()).toBe(404);
    const [{ disabled }] = await t.db.query(`SELECT disabled_at IS NOT NULL AS disabled FROM accounts WHERE id = $1`, [
      id,
    ]);
    expect(disabled).toBe(false);
    expectClean();
  });

  it('every administrator page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(15);
    expect(await checker.validateAll()).toEqual([]);
  });
});
