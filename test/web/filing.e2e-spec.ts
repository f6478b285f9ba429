import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, idem, newCitizen, uploadDocument } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(180_000);

const DOSSIER_URL = /\/dossiers\/([0-9a-f-]{36})\?notice=saved$/;

/**
 * The filing pages in a real browser: /dossiers/new?procedure=CODE (the procedure's form from its schema and the
 * delivery choice, saved as a draft) and /dossiers/:id/edit, with JavaScript on and off; each page checked by
 * PageChecker (axe, CSP, 360 px, screenshots) and by the Nu HTML Checker at the end.
 */
describe('filing pages in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const checker = new PageChecker();
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ensureAssets();
    browser = await launchBrowser();
    t = await createTestApp({ env: { DRAFTS_MAX_PER_ACCOUNT: '3' } });
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
  const expectClean = () => expect(checker.takeProblems()).toEqual([]);

  /** A new citizen (through the API), signed in on the pages. */
  async function citizenOnPage(page: Page) {
    const citizen = await newCitizen(t, { fullName: 'Đỗ Minh Khoa' });
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(citizen.email);
    await page.getByLabel('Mật khẩu').fill('Citizen-pass-1');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL(/\/account/);
    return citizen;
  }

  const summaryLinks = (page: Page) =>
    page.locator('.govuk-error-summary__list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const summaryTexts = (page: Page) =>
    page.locator('.govuk-error-summary__list a').evaluateAll((as) => as.map((a) => a.textContent));

  async function saved(t: TestApp, auth: { Authorization: string }, page: Page) {
    await page.waitForURL(DOSSIER_URL);
    const id = DOSSIER_URL.exec(page.url())![1];
    const res = await t.http.get(`${api}/applications/${id}`).set(auth).expect(200);
    return res.body as { id: string; state: string; formData: Record<string, unknown>; delivery: unknown };
  }

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('starts a household-business dossier: errors linked to each field in both languages, then saved', async () => {
      const page = await open(js);
      const me = await citizenOnPage(page);
      const res = await go(page, `/dossiers/new?procedure=${DEMO.householdBusiness}`);
      expect(res!.status()).toBe(200);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Đăng ký thành lập hộ kinh doanh');
      expect(await page.getAttribute('#filing-form', 'novalidate')).not.toBeNull();
      await checker.check(page, `filing-new${suffix(js)}`);

      await page.getByLabel('Tên hộ kinh doanh').fill('ab');
      await page.getByLabel('Chủ hộ', { exact: true }).fill('Đỗ Minh Khoa');
      await page.getByLabel('Địa điểm kinh doanh').fill('x');
      if (js) {
        // The inline check: leaving a field shows the catalogue's message at once.
        await page.getByLabel('Vốn kinh doanh (VND)').focus();
        await page.locator('#address-error').waitFor();
        expect(await page.textContent('#address-error')).toContain('Địa điểm kinh doanh phải có ít nhất 5 ký tự');
        await page.getByLabel('Địa điểm kinh doanh').fill('12 Lê Lợi, Bến Nghé');
        await page.getByLabel('Vốn kinh doanh (VND)').focus();
        await page.locator('#address-error').waitFor({ state: 'detached' });
        await page.getByLabel('Địa điểm kinh doanh').fill('x');
      }
      await page.getByLabel('Vốn kinh doanh (VND)').fill('nhiều');
      await page.getByLabel('Số lao động').fill('-1');
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Lưu và tiếp tục' }).click(),
      ]);
      expect(answer.status()).toBe(422);
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.title()).toMatch(/^Lỗi:/);
      expect(await summaryLinks(page)).toEqual(['#businessName', '#address', '#capitalVnd', '#employees']);
      expect(await summaryTexts(page)).toEqual([
        'Tên hộ kinh doanh phải có ít nhất 3 ký tự',
        'Địa điểm kinh doanh phải có ít nhất 5 ký tự',
        'Vốn kinh doanh (VND) phải là số nguyên, ví dụ 12',
        'Số lao động phải từ 0 trở lên',
      ]);
      for (const id of ['businessName', 'address', 'capitalVnd', 'employees']) {
        expect(await page.locator(`#${id}`).getAttribute('aria-describedby')).toContain(`${id}-error`);
      }
      // What the citizen typed is kept.
      expect(await page.inputValue('#capitalVnd')).toBe('nhiều');
      expect(await page.inputValue('#ownerName')).toBe('Đỗ Minh Khoa');
      await checker.check(page, `filing-errors${suffix(js)}`);
      if (js) {
        await page.locator('.govuk-error-summary__list a').nth(2).click();
        expect(await page.evaluate('document.activeElement.id')).toBe('capitalVnd');
      }
      // Nothing was written.
      expect((await t.http.get(`${api}/applications`).set(me.auth).expect(200)).body.items).toHaveLength(0);

      // The same in English: the schema's English words and the catalogue's English messages.
      await go(page, `/dossiers/new?procedure=${DEMO.householdBusiness}&lang=en`);
      await page.getByLabel('Business name').fill('ab');
      await page.getByLabel('Number of employees').fill('12000');
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary__title')).toBe('There is a problem');
      expect(await summaryTexts(page)).toEqual([
        'Business name must be 3 characters or more',
        'Number of employees must be 10000 or less',
      ]);
      await checker.check(page, `filing-errors-en${suffix(js)}`);

      // Fixed and saved (a draft may leave answers out): the dossier holds exactly the answers.
      await go(page, `/dossiers/new?procedure=${DEMO.householdBusiness}&lang=vi`);
      await page.getByLabel('Tên hộ kinh doanh').fill('Tạp hoá Minh Khoa');
      await page.getByLabel('Chủ hộ', { exact: true }).fill('Đỗ Minh Khoa');
      await page.getByLabel('Địa điểm kinh doanh').fill('12 Lê Lợi, phường Bến Nghé');
      await page.getByLabel('Vốn kinh doanh (VND)').fill('50.000.000');
      await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
      const d = await saved(t, me.auth, page);
      expect(d.state).toBe('draft');
      expect(d.formData).toEqual({
        businessName: 'Tạp hoá Minh Khoa',
        ownerName: 'Đỗ Minh Khoa',
        address: '12 Lê Lợi, phường Bến Nghé',
        capitalVnd: 50000000,
      });
      expect(d.delivery).toEqual({ method: 'online' });

      // Change the answers: prefilled, an answer added, one taken out.
      await go(page, `/dossiers/${d.id}/edit`);
      expect(await page.inputValue('#businessName')).toBe('Tạp hoá Minh Khoa');
      expect(await page.inputValue('#capitalVnd')).toBe('50000000');
      await checker.check(page, `filing-edit${suffix(js)}`);
      await page.getByLabel('Ngành nghề').fill('Bán lẻ tạp hoá');
      await page.getByLabel('Số lao động').fill('3');
      await page.getByLabel('Địa điểm kinh doanh').fill('');
      await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
      const e = await saved(t, me.auth, page);
      expect(e.id).toBe(d.id);
      expect(e.formData).toEqual({
        businessName: 'Tạp hoá Minh Khoa',
        ownerName: 'Đỗ Minh Khoa',
        businessLine: 'Bán lẻ tạp hoá',
        capitalVnd: 50000000,
        employees: 3,
      });
      expectClean();
    });

    it('starts a judicial-record dossier with delivery by post: the address is asked for when post is chosen', async () => {
      const page = await open(js);
      const me = await citizenOnPage(page);
      await go(page, `/dossiers/new?procedure=${DEMO.judicialRecord}&lang=en`);
      expect(await page.textContent('main')).toContain('By post (postage 30.000 ₫)');
      expect(await page.getByLabel('Certificate no. 2 (full criminal record)').count()).toBe(1);
      // Without JavaScript the postal fields are always there; with it, they appear when post is chosen.
      expect(await page.isVisible('#delivery-address')).toBe(!js);
      await checker.check(page, `filing-post-en${suffix(js)}`);

      await go(page, `/dossiers/new?procedure=${DEMO.judicialRecord}&lang=vi`);
      await page.getByLabel('Họ và tên').fill('Đỗ Minh Khoa');
      await page.getByLabel('Ngày', { exact: true }).fill('31');
      await page.getByLabel('Tháng', { exact: true }).fill('2');
      await page.getByLabel('Năm', { exact: true }).fill('1990');
      await page.getByLabel('Phiếu số 1').check();
      await page.getByLabel(/Qua bưu điện/).check();
      expect(await page.isVisible('#delivery-address')).toBe(true);
      expect(await page.inputValue('#delivery-recipient')).toBe('Đỗ Minh Khoa');
      await page.getByLabel('Số điện thoại người nhận').fill('12345');
      await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await summaryLinks(page)).toEqual(['#dateOfBirth', '#delivery-address', '#delivery-phone']);
      expect(await summaryTexts(page)).toEqual([
        'Ngày sinh phải là một ngày có thật, ví dụ 27 3 1990',
        'Nhập địa chỉ nhận (ít nhất 5 ký tự)',
        'Nhập số điện thoại di động Việt Nam, ví dụ 0912345678',
      ]);
      // The choice and what was typed are kept; the postal fields are shown.
      expect(await page.isChecked('#delivery-method-2')).toBe(true);
      expect(await page.isVisible('#delivery-address')).toBe(true);
      expect(await page.inputValue('#dateOfBirth')).toBe('31');
      await checker.check(page, `filing-post-errors${suffix(js)}`);

      await page.getByLabel('Ngày', { exact: true }).fill('28');
      await page.getByLabel('Địa chỉ nhận').fill('5 Nguyễn Huệ, phường Bến Nghé, TP. Hồ Chí Minh');
      await page.getByLabel('Số điện thoại người nhận').fill('0912345678');
      await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
      const d = await saved(t, me.auth, page);
      expect(d.formData).toEqual({ fullName: 'Đỗ Minh Khoa', dateOfBirth: '1990-02-28', certificateType: 1 });
      expect(d.delivery).toEqual({
        method: 'post',
        recipient: 'Đỗ Minh Khoa',
        address: '5 Nguyễn Huệ, phường Bến Nghé, TP. Hồ Chí Minh',
        phone: '0912345678',
      });

      // The edit page keeps the delivery and the date as saved; back to online.
      await go(page, `/dossiers/${d.id}/edit`);
      expect(await page.inputValue('#dateOfBirth-year')).toBe('1990');
      expect(await page.isChecked('#delivery-method-2')).toBe(true);
      await page.getByLabel('Trực tuyến (tải về bản điện tử)').check();
      await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
      expect((await saved(t, me.auth, page)).delivery).toEqual({ method: 'online' });
      expectClean();
    });
  });

  it('is only for the citizen who owns the dossier, while it can be edited', async () => {
    const page = await open();
    const me = await citizenOnPage(page);
    const other = await newCitizen(t);
    const theirs = await t.http
      .post(`${api}/applications`)
      .set(other.auth)
      .send({ procedureCode: DEMO.birthExtract, formData: { fullName: 'Võ Thị Sáu' } })
      .expect(201);
    const missing = await go(page, `/dossiers/${theirs.body.id}/edit`);
    expect(missing!.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    await checker.check(page, 'filing-not-yours');
    expect((await go(page, '/dossiers/not-a-uuid/edit'))!.status()).toBe(404);
    expect((await go(page, '/dossiers/new?procedure=9.999999'))!.status()).toBe(404);
    expect((await go(page, '/dossiers/new'))!.status()).toBe(404);
    // A POST to someone else's dossier changes nothing.
    await go(page, `/dossiers/new?procedure=${DEMO.birthExtract}`);
    const token = await page.locator('#filing-form input[name=_csrf]').inputValue();
    const post = await page.context().request.post(`${t.url}/dossiers/${theirs.body.id}/edit`, {
      form: { _csrf: token, fullName: 'Kẻ gian' },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(404);
    const after = await t.http.get(`${api}/applications/${theirs.body.id}`).set(other.auth).expect(200);
    expect(after.body.formData).toEqual({ fullName: 'Võ Thị Sáu' });

    // A submitted dossier cannot be changed: a clear page, no error.
    const mine = await t.http
      .post(`${api}/applications`)
      .set(me.auth)
      .send({
        procedureCode: DEMO.birthExtract,
        formData: { fullName: 'Đỗ Minh Khoa', dateOfBirth: '1990-01-02', copies: 1 },
      })
      .expect(201);
    await uploadDocument(t, me, mine.body.id, 'id_card').expect(201);
    await t.http.post(`${api}/applications/${mine.body.id}/submit`).set(me.auth).set(idem()).expect(200);
    const locked = await go(page, `/dossiers/${mine.body.id}/edit`);
    expect(locked!.status()).toBe(409);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Không thể sửa hồ sơ này');
    expect(await page.textContent('main')).toContain('Đã nộp, chờ tiếp nhận');
    await checker.check(page, 'filing-not-editable');

    // Staff have their own console: the filing pages are not found for them.
    const clerk = await open();
    await go(clerk, '/login');
    await clerk.getByLabel('Email hoặc số điện thoại').fill('clerk.bennghe@demo.local');
    await clerk.getByLabel('Mật khẩu').fill('Demo@2026');
    await clerk.getByRole('button', { name: 'Đăng nhập' }).click();
    await clerk.waitForURL((u) => !u.pathname.startsWith('/login'));
    expect((await go(clerk, `/dossiers/new?procedure=${DEMO.birthExtract}`))!.status()).toBe(404);
    expect((await go(clerk, `/dossiers/${mine.body.id}/edit`))!.status()).toBe(404);
    expectClean();
  });

  it('says so when the citizen has too many unsubmitted dossiers (not a server error)', async () => {
    const page = await open(false);
    const me = await citizenOnPage(page);
    for (let i = 0; i < 3; i++) {
      await t.http.post(`${api}/applications`).set(me.auth).send({ procedureCode: DEMO.birthExtract }).expect(201);
    }
    await go(page, `/dossiers/new?procedure=${DEMO.birthExtract}`);
    await page.getByLabel('Họ và tên').fill('Đỗ Minh Khoa');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Lưu và tiếp tục' }).click(),
    ]);
    expect(answer.status()).toBe(409);
    expect(await summaryTexts(page)).toEqual([
      'Bạn đã có quá nhiều hồ sơ chưa nộp. Hãy nộp hoặc hoàn thiện một hồ sơ trước khi tạo hồ sơ mới.',
    ]);
    expect(await page.inputValue('#fullName')).toBe('Đỗ Minh Khoa');
    await checker.check(page, 'filing-draft-limit-nojs');
    expect((await t.http.get(`${api}/applications`).set(me.auth).expect(200)).body.items).toHaveLength(3);
    expectClean();
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(15);
    expect(await checker.validateAll()).toEqual([]);
  });
});
