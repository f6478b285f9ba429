import { randomInt } from 'node:crypto';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { DEMO, DEMO_PASSWORD, newCitizen, PDF, staff } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

// pdf-parse's index runs a self-test when required directly; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ text: string }> = require('pdf-parse/lib/pdf-parse.js');

const api = '/api/v1';
jest.setTimeout(240_000);

const RECEIVED_URL = /\/staff\/counter\/([0-9a-f-]{36})\?done=received$/;
const newIdNumber = () => String(randomInt(10 ** 11, 10 ** 12 - 1)).padStart(12, '0');
const flat = (s: string) => s.replace(/\s+/g, ' ');

/**
 * The counter clerk's page in a real browser, with JavaScript on and off: the clerk of UBND Quận 1 receives a walk-in
 * citizen's birth extract, a procedure of UBND Phường Bến Nghé (province-wide acceptance: routed there), with the
 * error summary on bad input; scans a paper (marked digitised); downloads form 01 (a PDF with its title, naming the
 * counter); the same citizen comes back: found by ID number (their account's name), the earlier scan reused. Each
 * page checked by PageChecker (axe, CSP, 360 px) and the Nu HTML Checker at the end.
 */
describe('the counter page', () => {
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
  const expectClean = () => expect(checker.takeProblems()).toEqual([]);
  const summaryLinks = (page: Page) =>
    page.locator('.govuk-error-summary__list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));

  async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  async function bytesOf(download: Download): Promise<Buffer> {
    const stream = await download.createReadStream();
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });
  }

  /** Step 1: the procedure and the ID number. */
  async function choose(page: Page, idNumber: string) {
    await go(page, '/staff/counter');
    await page.getByLabel('Thủ tục hành chính').selectOption(DEMO.birthExtract);
    await page.getByLabel('Số định danh cá nhân').fill(idNumber);
    await page.getByRole('button', { name: 'Tiếp tục' }).click();
    await page.getByRole('heading', { level: 1, name: 'Cấp bản sao Trích lục khai sinh' }).waitFor();
  }

  async function fillBirthForm(page: Page, name: string) {
    await page.locator('#fullName').fill(name);
    await page.locator('#dateOfBirth').fill('8');
    await page.locator('#dateOfBirth-month').fill('3');
    await page.locator('#dateOfBirth-year').fill('1995');
    await page.locator('#copies').fill('2');
  }

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('files for a walk-in citizen, scans a paper, downloads form 01; the citizen comes back and a paper is reused', async () => {
      const page = await open(js);
      await signIn(page, 'clerk.quan1@demo.local');
      // In the staff navigation.
      await page.getByRole('link', { name: 'Tiếp nhận tại quầy' }).click();
      await page.waitForURL(/\/staff\/counter$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tiếp nhận hồ sơ tại quầy');
      // Other agencies' procedures of the province are offered, grouped by agency.
      const groups = await page
        .locator('#procedure optgroup')
        .evaluateAll((gs) => gs.map((g) => g.getAttribute('label')));
      expect(groups[0]).toBe('UBND Quận 1 (cơ quan của bạn)');
      expect(groups).toContain('UBND Phường Bến Nghé (chuyển đến cơ quan này)');
      await checker.check(page, `counter-start${suffix(js)}`);

      // Bad input: the error summary, linked to each field; nothing written.
      await page.getByLabel('Số định danh cá nhân').fill('12345');
      const [bad] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Tiếp tục' }).click(),
      ]);
      expect(bad.status()).toBe(422);
      expect(await page.title()).toMatch(/^Lỗi:/);
      expect(await summaryLinks(page)).toEqual(['#procedure', '#idNumber']);
      expect(await page.inputValue('#idNumber')).toBe('12345');
      await checker.check(page, `counter-start-errors${suffix(js)}`);

      // A walk-in citizen with no account: step 2 says so and asks for the card's details.
      const idNumber = newIdNumber();
      await choose(page, idNumber);
      expect(await page.textContent('#counter-routed')).toContain('UBND Phường Bến Nghé');
      expect(await page.locator('#counter-new').count()).toBe(1);
      await checker.check(page, `counter-form${suffix(js)}`);
      const [missing] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).click(),
      ]);
      expect(missing.status()).toBe(422);
      await page.locator('.govuk-error-summary').waitFor();
      expect(await summaryLinks(page)).toEqual(['#applicant-fullName', '#fullName', '#dateOfBirth', '#copies']);
      await checker.check(page, `counter-form-errors${suffix(js)}`);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM accounts WHERE id_number = $1`, [idNumber]);
      expect(n).toBe(0);

      // Received in one step.
      await page.getByLabel('Họ và tên người nộp').fill('Hoàng Thị Mai');
      await page
        .getByLabel('Số điện thoại (không bắt buộc)')
        .fill(`09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`);
      await page.getByLabel('Địa chỉ (không bắt buộc)').fill('7 Pasteur, Quận 1');
      await fillBirthForm(page, 'Hoàng Thị Mai');
      await page.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).click();
      await page.waitForURL(RECEIVED_URL);
      const id = RECEIVED_URL.exec(page.url())![1];
      const competent = await staff(t, 'clerk', 'bennghe');
      const d = (await t.http.get(`${api}/applications/${id}`).set(competent.auth).expect(200)).body;
      expect(d).toMatchObject({
        channel: 'counter',
        state: 'processing',
        agencyCode: DEMO.agencies.bennghe,
        receivedAgencyCode: DEMO.agencies.quan1,
        formData: { fullName: 'Hoàng Thị Mai', dateOfBirth: '1995-03-08', copies: 2 },
      });
      expect(await page.textContent('.govuk-notification-banner')).toContain(d.code);
      expect(await page.textContent('#counter-routed-note')).toContain('UBND Phường Bến Nghé');
      // The counter that received it, by name with its code.
      expect(await page.textContent('#counter-received-at')).toBe(`UBND Quận 1 (${DEMO.agencies.quan1})`);
      await checker.check(page, `counter-received${suffix(js)}`);

      // A scan of the ID card: marked digitised by the counter's clerk.
      await page.setInputFiles('#doc-id_card', { name: 'cccd.pdf', mimeType: 'application/pdf', buffer: PDF });
      await page.getByRole('button', { name: 'Tải lên bản quét' }).click();
      await page.waitForURL(/done=uploaded/);
      expect(await page.textContent('#paper-id_card')).toContain('Bản quét');
      const docs = (await t.http.get(`${api}/applications/${id}/documents`).set(competent.auth).expect(200)).body;
      expect(docs).toEqual([
        expect.objectContaining({ documentKey: 'id_card', digitised: true, uploadedRole: 'clerk' }),
      ]);
      await checker.check(page, `counter-uploaded${suffix(js)}`);

      // Form 01: a PDF with its title, the code, the counter that received it.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#counter-form-01')]);
      const pdf = await bytesOf(download);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const text = flat((await pdfParse(pdf)).text);
      expect(text).toContain('GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ');
      expect(text).toContain(d.code);
      expect(text).toContain('Bộ phận Một cửa UBND Quận 1');
      expect(text).toContain('Hoàng Thị Mai');

      // The same citizen comes back: found by their ID number; the earlier scan is reused.
      await choose(page, idNumber);
      expect(await page.textContent('#counter-existing')).toContain('Hoàng Thị Mai');
      expect(await page.locator('#applicant-fullName').count()).toBe(0);
      await checker.check(page, `counter-form-existing${suffix(js)}`);
      await fillBirthForm(page, 'Hoàng Thị Mai');
      await page.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).click();
      await page.waitForURL(RECEIVED_URL);
      const second = RECEIVED_URL.exec(page.url())![1];
      // The earlier scan is offered by what tells it apart first: its dossier's code, then the file.
      const reuse = page.locator('#reuse-id_card');
      expect(await reuse.locator('option').nth(1).textContent()).toBe(`${d.code}: cccd.pdf`);
      await reuse.selectOption({ index: 1 });
      // At 360 px the select takes its column's full width and the page does not scroll sideways.
      await page.setViewportSize({ width: 360, height: 740 });
      const [select, column] = await Promise.all([
        reuse.boundingBox(),
        page.locator('#paper-id_card .govuk-form-group').last().boundingBox(),
      ]);
      expect(Math.round(select!.width)).toBe(Math.round(column!.width));
      if (js) {
        const width = await page.evaluate<{ scroll: number; client: number }>(
          '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
        );
        expect(width.scroll).toBeLessThanOrEqual(width.client);
      }
      await checker.check(page, `counter-reuse-chosen${suffix(js)}`);
      await page.getByRole('button', { name: 'Dùng lại' }).click();
      await page.waitForURL(/done=reused/);
      expect(await page.textContent('#paper-id_card')).toContain('Dùng lại');
      const reused = (await t.http.get(`${api}/applications/${second}/documents`).set(competent.auth).expect(200)).body;
      expect(reused).toEqual([expect.objectContaining({ documentKey: 'id_card', reusedFromDocumentId: docs[0].id })]);
      await checker.check(page, `counter-reused${suffix(js)}`);

      // Reusing nothing: the error summary on the received page.
      await page.getByRole('button', { name: 'Dùng lại' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await summaryLinks(page)).toEqual(['#reuse-id_card']);
      await checker.check(page, `counter-reuse-error${suffix(js)}`);

      // In English.
      await go(page, '/staff/counter?lang=en');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Receive a dossier at the counter');
      await checker.check(page, `counter-start-en${suffix(js)}`);
      // The received page in English: the counter by name and code, the reuse option by code first.
      await go(page, `/staff/counter/${second}?lang=en`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Dossier');
      expect(await page.textContent('#counter-received-at')).toBe(`UBND Quận 1 (${DEMO.agencies.quan1})`);
      await checker.check(page, `counter-received-en${suffix(js)}`);
      await go(page, '/staff/counter?lang=vi');
      expectClean();
    });
  });

  it('a citizen, or a clerk of an agency that neither owns nor received a dossier, gets the not-found page', async () => {
    const citizen = await newCitizen(t);
    const page = await open();
    await signIn(page, citizen.email, 'Citizen-pass-1');
    expect((await go(page, '/staff/counter'))!.status()).toBe(404);
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = (
      await t.http
        .post(`${api}/counter/applications`)
        .set(clerk.auth)
        .send({
          procedureCode: DEMO.birthExtract,
          applicant: { idNumber: newIdNumber(), fullName: 'Lý Văn Tâm' },
          formData: { fullName: 'Lý Văn Tâm', dateOfBirth: '1990-01-02', copies: 1 },
        })
        .expect(201)
    ).body;
    const other = await open();
    await signIn(other, 'clerk.sotuphap@demo.local');
    expect((await go(other, `/staff/counter/${d.id}`))!.status()).toBe(404);
    expect((await go(other, `/staff/counter/${d.id}/form-01`))!.status()).toBe(404);
    // The competent agency's clerk reads it there too, and is sent to the console to work it.
    const competent = await open();
    await signIn(competent, 'clerk.bennghe@demo.local');
    expect((await go(competent, `/staff/counter/${d.id}`))!.status()).toBe(200);
    expect(await competent.getByRole('link', { name: 'Mở hồ sơ để xử lý' }).count()).toBe(1);
    // Received at another agency's counter: named too.
    expect(await competent.textContent('#counter-received-at')).toBe(`UBND Quận 1 (${DEMO.agencies.quan1})`);
    expectClean();
  });

  it('every page kept passes the Nu HTML Checker', async () => {
    expect(await checker.validateAll()).toEqual([]);
  });
});
