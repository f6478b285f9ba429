import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { admin, binary, DEMO, idem, newCitizen, staff, uploadDocument } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(180_000);

/**
 * The citizen pages in a real browser (Chromium through playwright-core): the journeys with JavaScript on and
 * off, each page checked by axe-core (no serious or critical violation), for CSP errors and horizontal scrolling
 * at 360 px, screenshotted at 360 and 1280 px (test-results/screens/), and validated by the Nu HTML Checker.
 */
describe('citizen pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const checker = new PageChecker();
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureAssets();
    browser = await launchBrowser();
    t = await createTestApp();
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

  function expectClean() {
    expect(checker.takeProblems()).toEqual([]);
  }

  async function registerOnPage(page: Page, js: boolean, name = 'Nguyễn Thị Ánh') {
    const id = Math.random().toString(36).slice(2, 10);
    const email = `web-${id}@example.vn`;
    const idNumber = String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
    await go(page, '/register');
    await checker.check(page, `register${suffix(js)}`);
    await page.getByLabel('Họ và tên').fill(name);
    await page.getByLabel('Địa chỉ email').fill(email);
    await page.getByLabel('Số điện thoại di động').fill(`09${idNumber.slice(-8)}`);
    await page.getByLabel('Số định danh cá nhân (CCCD)').fill(idNumber);
    await page.getByLabel('Mật khẩu').fill('Mat-khau-web-1');
    await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
    await page.waitForURL(/\/account/);
    return { email, idNumber, password: 'Mat-khau-web-1' };
  }

  async function signIn(page: Page, email: string, password: string) {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL(/\/account/);
  }

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('finds the household-business procedure searching without diacritics, within the page budget', async () => {
      const page = await open(js);
      let transferred = 0;
      page.on('requestfinished', (r) => {
        void r.sizes().then((s) => (transferred += s.responseBodySize + s.responseHeadersSize));
      });
      await go(page, '/');
      await page.waitForLoadState('networkidle');
      expect(transferred).toBeGreaterThan(1000);
      expect(transferred).toBeLessThan(150 * 1024);
      await checker.check(page, `home${suffix(js)}`);

      await page.getByLabel('Tên hoặc mã thủ tục').fill('dang ky ho kinh doanh');
      await page.getByRole('button', { name: 'Tìm kiếm' }).click();
      const hit = page.getByRole('link', { name: 'Đăng ký thành lập hộ kinh doanh' });
      await hit.waitFor();
      expect(await page.getByRole('link', { name: 'Cấp Phiếu lý lịch tư pháp' }).count()).toBe(0);
      await checker.check(page, `search${suffix(js)}`);

      await hit.click();
      await page.waitForURL(/\/procedures\/2\.000720$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Đăng ký thành lập hộ kinh doanh');
      expect(await page.textContent('main')).toContain('100.000 ₫');
      const start = page.getByRole('button', { name: 'Bắt đầu nộp hồ sơ' });
      expect(await start.getAttribute('href')).toBe('/dossiers/new?procedure=2.000720');
      await checker.check(page, `procedure${suffix(js)}`);

      // The filters: a fee-exempt search lists only the birth-extract copy.
      await go(page, '/?fee=exempt');
      expect(await page.getByRole('link', { name: 'Cấp bản sao Trích lục khai sinh' }).count()).toBe(1);
      expect(await page.getByRole('link', { name: 'Đăng ký thành lập hộ kinh doanh' }).count()).toBe(0);
      expectClean();
    });

    it('registers, signs out, signs in and shows the account', async () => {
      const page = await open(js);
      const me = await registerOnPage(page, js);
      const main = (await page.textContent('main'))!;
      expect(main).toContain('Nguyễn Thị Ánh');
      expect(main).toContain(me.idNumber);
      expect(main).toContain('Chưa xác thực');
      await checker.check(page, `account${suffix(js)}`);
      // SMS about the dossiers: on by default, turned off here (email is always sent).
      expect(await page.getByRole('radio', { name: 'Nhận', exact: true }).isChecked()).toBe(true);
      await page.getByRole('radio', { name: 'Không nhận' }).check();
      await page.getByRole('button', { name: 'Lưu lựa chọn SMS' }).click();
      await page.waitForURL(/notice=sms-saved/);
      expect(await page.textContent('main')).toContain('Đã lưu lựa chọn nhận tin nhắn SMS.');
      expect(await page.getByRole('radio', { name: 'Không nhận' }).isChecked()).toBe(true);
      const cookie = (await page.context().cookies()).find((c) => c.name === 'portal_session')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

      await page.getByRole('button', { name: 'Đăng xuất', exact: true }).click();
      await page.waitForURL(/\/login\?notice=signed-out/);
      expect(await page.textContent('main')).toContain('Bạn đã đăng xuất.');
      await checker.check(page, `login${suffix(js)}`);
      // The old cookie is dead at once.
      await page.context().addCookies([cookie]);
      await go(page, '/account');
      expect(page.url()).toContain('/login?next=%2Faccount');

      await signIn(page, me.email, me.password);
      // A new session id at every sign-in.
      const again = (await page.context().cookies()).find((c) => c.name === 'portal_session')!;
      expect(again.value).not.toBe(cookie.value);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tài khoản của bạn');
      expectClean();
    });

    it('shows an error summary linked to each field, in Vietnamese and in English', async () => {
      const page = await open(js);
      await go(page, '/register');
      await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.title()).toMatch(/^Lỗi:/);
      const links = page.locator('.govuk-error-summary__list a');
      expect(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
        '#fullName',
        '#email',
        '#phone',
        '#idNumber',
        '#password',
      ]);
      for (const id of ['fullName', 'email', 'phone', 'idNumber', 'password']) {
        expect(await page.locator(`#${id}`).getAttribute('aria-describedby')).toContain(`${id}-error`);
      }
      expect(await links.first().textContent()).toBe('Nhập họ và tên');
      await checker.check(page, `register-errors${suffix(js)}`);
      if (js) {
        await links.nth(1).click();
        expect(await page.evaluate('document.activeElement.id')).toBe('email');
      }

      await go(page, '/register?lang=en');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await page.getByLabel('Email address').fill('not-an-email');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary__title')).toBe('There is a problem');
      expect(await page.textContent('main')).toContain('Enter an email address in the correct format');
      expect(await page.inputValue('#email')).toBe('not-an-email');
      await checker.check(page, `register-errors-en${suffix(js)}`);
      // The language is remembered.
      await go(page, '/login');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.textContent('.govuk-error-summary__list')).toContain('Enter email or phone number');
      expectClean();
    });

    it('looks a dossier up by code and ID number', async () => {
      const citizen = await newCitizen(t);
      const d = await t.http
        .post(`${api}/applications`)
        .set(citizen.auth)
        .send({
          procedureCode: DEMO.birthExtract,
          formData: { fullName: 'Võ Thị Sáu', dateOfBirth: '1995-03-08', copies: 1 },
        })
        .expect(201);
      await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
      const submitted = await t.http
        .post(`${api}/applications/${d.body.id}/submit`)
        .set(citizen.auth)
        .set(idem())
        .expect(200);
      const code = submitted.body.code as string;

      const page = await open(js);
      await go(page, '/lookup');
      await checker.check(page, `lookup${suffix(js)}`);
      await page.getByLabel('Mã hồ sơ').fill(code);
      await page.getByLabel('Số định danh cá nhân của người nộp').fill(citizen.idNumber);
      await page.getByRole('button', { name: 'Tra cứu' }).click();
      await page.locator('#lookup-result').waitFor();
      expect(await page.textContent('main')).toContain('Đã nộp, chờ tiếp nhận');
      expect(await page.textContent('main')).toContain('Cấp bản sao Trích lục khai sinh');
      await checker.check(page, `lookup-result${suffix(js)}`);

      await page.getByLabel('Số định danh cá nhân của người nộp').fill('000000000000');
      await page.getByRole('button', { name: 'Tra cứu' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary')).toContain('Không tìm thấy hồ sơ');
      expect(await page.textContent('main')).not.toContain('Võ Thị Sáu');
      await checker.check(page, `lookup-not-found${suffix(js)}`);
      expectClean();
    });
  });

  it('verifies a result by its code, and compares an uploaded file; an unknown code or page is not found', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'bennghe');
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Võ Thị Sáu', dateOfBirth: '1995-03-08', copies: 1 },
      })
      .expect(201);
    await uploadDocument(t, citizen, d.body.id, 'id_card').expect(201);
    await t.http.post(`${api}/applications/${d.body.id}/submit`).set(citizen.auth).set(idem()).expect(200);
    for (const action of ['receive', 'complete']) {
      await t.http.post(`${api}/applications/${d.body.id}/actions/${action}`).set(clerk.auth).send({}).expect(200);
    }
    await t.drain();
    const view = await t.http.get(`${api}/applications/${d.body.id}`).set(citizen.auth).expect(200);
    const code = view.body.result.verificationCode as string;
    const pdf = (
      await t.http
        .get(`${api}/applications/${d.body.id}/result`)
        .set(citizen.auth)
        .buffer(true)
        .parse(binary)
        .expect(200)
    ).body as Buffer;
    expect(createHash('sha256').update(pdf).digest('hex')).toBe(view.body.result.sha256);

    const page = await open();
    await go(page, `/verify/${code}`);
    expect(await page.textContent('#verify-outcome')).toContain('Kết quả này do cổng dịch vụ công cấp');
    const main = (await page.textContent('main'))!;
    expect(main).toContain('UBND Phường Bến Nghé');
    expect(main).not.toContain('Võ Thị Sáu'); // no personal data
    expect(await page.textContent('#verify-signer')).toBe('UBND Phường Bến Nghé'); // the PDF signature's signer
    expect(main).toContain('Thời điểm ký');
    await checker.check(page, 'verify');

    await page.setInputFiles('#file', { name: 'ket-qua.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('button', { name: 'So sánh tệp' }).click();
    await page.locator('#verify-compare').waitFor();
    expect(await page.textContent('#verify-compare')).toContain('Tệp trùng khớp');
    await checker.check(page, 'verify-match');

    const altered = Buffer.concat([pdf, Buffer.from('\n% altered\n')]);
    await page.setInputFiles('#file', { name: 'ket-qua.pdf', mimeType: 'application/pdf', buffer: altered });
    await page.getByRole('button', { name: 'So sánh tệp' }).click();
    await page.waitForFunction('document.querySelector("#verify-compare")?.textContent.includes("KHÔNG")');
    await checker.check(page, 'verify-mismatch');

    const unknown = await go(page, '/verify/ZZZZZZZZZZ');
    expect(unknown!.status()).toBe(404);
    expect(await page.textContent('main')).toContain('Không có kết quả nào với mã kiểm tra này');
    await checker.check(page, 'verify-unknown');

    await go(page, '/verify');
    await checker.check(page, 'verify-start');
    await page.getByLabel('Mã kiểm tra').fill(code.toLowerCase());
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    await page.waitForURL(new RegExp(`/verify/${code}$`));

    const missing = await go(page, '/no-such-page');
    expect(missing!.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    await checker.check(page, 'not-found');
    expect((await go(page, '/procedures/9.999999'))!.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    expectClean();
  });

  it('refuses a form POST without its CSRF token or with a wrong one (403 page, nothing done)', async () => {
    const page = await open();
    const me = await registerOnPage(page, true, 'Trần Văn Bảo');
    const request = page.context().request;
    const form = (extra: Record<string, string>) => ({ form: { locale: 'en', ...extra }, maxRedirects: 0 });
    const none = await request.post(`${t.url}/account/language`, form({}));
    expect(none.status()).toBe(403);
    expect(none.headers()['content-type']).toContain('text/html');
    expect(await none.text()).toContain('Biểu mẫu đã hết hạn');
    const wrong = await request.post(`${t.url}/account/language`, form({ _csrf: 'x'.repeat(43) }));
    expect(wrong.status()).toBe(403);
    const [{ locale }] = await t.db.query(`SELECT locale FROM accounts WHERE email = $1`, [me.email]);
    expect(locale).toBe('vi');
    // The token of this session works; a pre-session token does not stand in for it.
    const token = await page.locator('form[action="/account/language"] input[name=_csrf]').inputValue();
    expect((await request.post(`${t.url}/account/language`, form({ _csrf: token }))).status()).toBe(303);
    const anon = await open();
    await go(anon, '/login');
    const preToken = await anon.locator('input[name=_csrf]').inputValue();
    expect((await request.post(`${t.url}/account/language`, form({ _csrf: preToken }))).status()).toBe(403);
    // Before sign-in: the login form without a token.
    const login = await anon.context().request.post(`${t.url}/login`, {
      form: { email: me.email, password: me.password },
      maxRedirects: 0,
    });
    expect(login.status()).toBe(403);
    await go(page, '/account');
    await checker.check(page, 'account-en');
    expectClean();
  });

  it('ends page sessions at once: sign out everywhere, a password change and an admin disabling the account', async () => {
    const one = await open();
    const me = await registerOnPage(one, true, 'Phạm Thu Hà');
    const two = await open();
    await signIn(two, me.email, me.password);

    // A password change keeps this session (under a new id) and ends the other.
    await one.getByLabel('Mật khẩu hiện tại').fill(me.password);
    await one.getByLabel('Mật khẩu mới').fill('Mat-khau-moi-2');
    await one.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await one.waitForURL(/notice=password-changed/);
    await checker.check(one, 'account-password-changed');
    await go(two, '/account');
    expect(two.url()).toContain('/login');
    await signIn(two, me.email, 'Mat-khau-moi-2');

    // Sign out everywhere from one: both end.
    await one.getByRole('button', { name: 'Đăng xuất khỏi mọi thiết bị' }).click();
    await one.waitForURL(/\/login/);
    await go(two, '/account');
    expect(two.url()).toContain('/login');

    // An admin disables the account: the session ends at the next page.
    await signIn(two, me.email, 'Mat-khau-moi-2');
    const [{ id }] = await t.db.query(`SELECT id FROM accounts WHERE email = $1`, [me.email]);
    const adm = await admin(t);
    await t.http.post(`${api}/admin/accounts/${id}/disable`).set(adm.auth).expect(200);
    await go(two, '/account');
    expect(two.url()).toContain('/login');
    expectClean();
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(20);
    expect(await checker.validateAll()).toEqual([]);
  });
});
