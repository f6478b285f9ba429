import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, idem, newCitizen, staff, uploadDocument } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

jest.setTimeout(180_000);

/**
 * Account recovery in a real browser, JavaScript on and off: "Forgot password?" on /login, /forgot-password (the
 * same answer for a known and an unknown address), the emailed /reset-password?token= link (caught by the SMTP
 * sandbox), a used link refused with a way to ask for a new one; /dossiers, a citizen's own dossiers. Each page is
 * checked like the citizen pages.
 */
describe('account recovery and dossier list pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const checker = new PageChecker();
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureAssets();
    browser = await launchBrowser();
    // The journeys post more forgot/reset forms from one address than the real limit (5 per window) allows.
    t = await createTestApp({ env: { PASSWORD_RESET_RATE_LIMIT: '100' } });
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

  /** The path and query of the last reset link mailed to an address (after the outbox and the worker ran). */
  async function mailedLink(email: string): Promise<string> {
    await t.drain();
    const mails = t.smtp.to(email);
    expect(mails.length).toBeGreaterThan(0);
    const text = mails[mails.length - 1].text.replace(/=\r?\n/g, '');
    const m = /\S+(\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(text);
    expect(m).not.toBeNull();
    return m![1];
  }

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('resets the password through the emailed link; the used link is refused', async () => {
      const citizen = await newCitizen(t);
      const page = await open(js);
      await go(page, '/login');
      await page.getByRole('link', { name: 'Quên mật khẩu?' }).click();
      await page.waitForURL(/\/forgot-password$/);
      await checker.check(page, `forgot${suffix(js)}`);

      // Errors first: an empty form.
      await page.getByRole('button', { name: 'Gửi đường dẫn' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary__list')).toContain('Nhập địa chỉ email');
      await checker.check(page, `forgot-errors${suffix(js)}`);

      await page.getByLabel('Địa chỉ email').fill(citizen.email);
      await page.getByRole('button', { name: 'Gửi đường dẫn' }).click();
      await page.waitForURL(/\/forgot-password\?sent=1$/);
      const known = await page.textContent('main');
      expect(known).toContain('Hãy kiểm tra email của bạn');
      await checker.check(page, `forgot-sent${suffix(js)}`);

      // An unknown address gets the same page.
      await go(page, '/forgot-password');
      await page.getByLabel('Địa chỉ email').fill('nobody-here@example.vn');
      await page.getByRole('button', { name: 'Gửi đường dẫn' }).click();
      await page.waitForURL(/\/forgot-password\?sent=1$/);
      expect(await page.textContent('main')).toBe(known);

      const link = await mailedLink(citizen.email);
      await go(page, link);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Đặt mật khẩu mới');
      await checker.check(page, `reset${suffix(js)}`);

      // The two passwords must match; the token survives the round trip.
      await page.getByLabel('Mật khẩu mới', { exact: true }).fill('Dat-lai-mat-khau-1');
      await page.getByLabel('Nhập lại mật khẩu mới').fill('Dat-lai-mat-khau-2');
      await page.getByRole('button', { name: 'Đặt mật khẩu' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary__list')).toContain('Hai mật khẩu không giống nhau');
      await checker.check(page, `reset-errors${suffix(js)}`);

      await page.getByLabel('Mật khẩu mới', { exact: true }).fill('Dat-lai-mat-khau-1');
      await page.getByLabel('Nhập lại mật khẩu mới').fill('Dat-lai-mat-khau-1');
      await page.getByRole('button', { name: 'Đặt mật khẩu' }).click();
      await page.waitForURL(/\/login\?notice=password-reset$/);
      expect(await page.textContent('main')).toContain('Đã đặt lại mật khẩu');
      await checker.check(page, `login-reset${suffix(js)}`);

      await page.getByLabel('Email hoặc số điện thoại').fill(citizen.email);
      await page.getByLabel('Mật khẩu').fill('Dat-lai-mat-khau-1');
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.waitForURL(/\/account/);

      // The link is spent: a clear page in both languages, with a way to ask for a new one.
      const used = await go(page, link);
      expect(used!.status()).toBe(410);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'Đường dẫn đặt lại mật khẩu không còn dùng được',
      );
      await checker.check(page, `reset-invalid${suffix(js)}`);
      await go(page, `${link}&lang=en`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'This password reset link cannot be used',
      );
      await page.getByRole('link', { name: 'Ask for a new link' }).click();
      await page.waitForURL(/\/forgot-password$/);
      expect(checker.takeProblems()).toEqual([]);
    });

    it('lists my dossiers (signed in only): code, procedure, state, due date and what is asked of me', async () => {
      const citizen = await newCitizen(t, { fullName: 'Đỗ Minh Châu' });
      const other = await newCitizen(t);
      const create = (who: typeof citizen, fullName: string) =>
        t.http
          .post('/api/v1/applications')
          .set(who.auth)
          .send({ procedureCode: DEMO.birthExtract, formData: { fullName, dateOfBirth: '1995-03-08', copies: 1 } })
          .expect(201);
      const draft = (await create(citizen, 'Đỗ Minh Châu')).body as { id: string };
      const filed = (await create(citizen, 'Đỗ Minh Châu')).body as { id: string };
      await uploadDocument(t, citizen, filed.id, 'id_card').expect(201);
      const submitted = await t.http
        .post(`/api/v1/applications/${filed.id}/submit`)
        .set(citizen.auth)
        .set(idem())
        .expect(200);
      const clerk = await staff(t, 'clerk', 'bennghe');
      await t.http.post(`/api/v1/applications/${filed.id}/actions/receive`).set(clerk.auth).send({}).expect(200);
      const view = await t.http.get(`/api/v1/applications/${filed.id}`).set(citizen.auth).expect(200);
      const due = view.body.dueAt as string;
      expect(due).toBeTruthy();
      const notMine = (await create(other, 'Người Khác')).body as { id: string };

      const page = await open(js);
      await go(page, '/dossiers');
      expect(page.url()).toContain('/login?next=%2Fdossiers');
      await page.getByLabel('Email hoặc số điện thoại').fill(citizen.email);
      await page.getByLabel('Mật khẩu').fill('Citizen-pass-1');
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      await page.waitForURL(/\/dossiers$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Hồ sơ của tôi');

      const card = (id: string) => page.locator(`[data-dossier="${id}"]`);
      expect(await card(notMine.id).count()).toBe(0);
      const filedText = (await card(filed.id).textContent())!;
      expect(filedText).toContain(submitted.body.code as string);
      expect(filedText).toContain('Cấp bản sao Trích lục khai sinh');
      expect(filedText).toContain('Đang giải quyết');
      const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' })
        .format(new Date(due))
        .split('-');
      expect(filedText).toContain(`${d}/${m}/${y}`);
      expect(filedText).toContain('Không có việc gì');
      const draftText = (await card(draft.id).textContent())!;
      expect(draftText).toContain('Bản nháp');
      expect(draftText).toContain('Hoàn thiện và nộp hồ sơ');
      expect(await card(filed.id).getByRole('link').getAttribute('href')).toBe(`/dossiers/${filed.id}`);
      await checker.check(page, `dossiers${suffix(js)}`);

      await go(page, '/dossiers?lang=en');
      expect(await card(draft.id).textContent()).toContain('Complete and submit the dossier');
      expect(await card(filed.id).textContent()).toContain('Being processed');
      await checker.check(page, `dossiers-en${suffix(js)}`);
      expect(checker.takeProblems()).toEqual([]);
    });
  });

  it('a form posted with a spent token shows the invalid-link page, and the password stays', async () => {
    const citizen = await newCitizen(t);
    const page = await open();
    await go(page, '/forgot-password');
    await page.getByLabel('Địa chỉ email').fill(citizen.email);
    await page.getByRole('button', { name: 'Gửi đường dẫn' }).click();
    await page.waitForURL(/sent=1/);
    const link = await mailedLink(citizen.email);
    await go(page, link);
    // Spent elsewhere (e.g. in another tab) while this form is open.
    const token = new URL(link, t.url).searchParams.get('token')!;
    await t.http.post('/api/v1/auth/password/reset').send({ token, password: 'Elsewhere-pass-1' }).expect(204);
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill('Dat-lai-mat-khau-3');
    await page.getByLabel('Nhập lại mật khẩu mới').fill('Dat-lai-mat-khau-3');
    await page.getByRole('button', { name: 'Đặt mật khẩu' }).click();
    await page.locator('#reset-invalid').waitFor();
    await t.http.post('/api/v1/auth/login').send({ email: citizen.email, password: 'Elsewhere-pass-1' }).expect(200);
    // An unknown or malformed token: the same page.
    await go(page, '/reset-password?token=nope');
    await page.locator('#reset-invalid').waitFor();
    await go(page, '/reset-password');
    await page.locator('#reset-invalid').waitFor();
    expect(checker.takeProblems()).toEqual([]);
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(await checker.validateAll()).toEqual([]);
  });
});
