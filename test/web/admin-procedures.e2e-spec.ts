import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { admin, DEMO, DEMO_PASSWORD, newCitizen } from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(180_000);

const schema = (fields: Record<string, string>) =>
  JSON.stringify(
    {
      type: 'object',
      additionalProperties: false,
      required: Object.keys(fields),
      properties: Object.fromEntries(Object.entries(fields).map(([k, title]) => [k, { type: 'string', title }])),
    },
    null,
    2,
  );

const GOOD_WORKFLOW = {
  states: [
    { key: 'draft', start: true, editableBy: ['citizen'] },
    { key: 'submitted', clock: 'stopped' },
    { key: 'processing', clock: 'running' },
    { key: 'completed', terminal: true },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
    { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock', 'issueReceipt'] },
    { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'], effects: ['issueResult'] },
  ],
};

/** No start state, and an action going to a state that does not exist. */
const BROKEN_WORKFLOW = {
  states: [
    { key: 'draft', editableBy: ['citizen'] },
    { key: 'processing', clock: 'running' },
    { key: 'completed', terminal: true },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'nowhere', by: ['citizen'] },
    { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'] },
  ],
};

/**
 * The administrator's procedure pages in a real browser: create a procedure, add a draft, preview the citizen's
 * form (live with JavaScript, with the Preview button without), see the workflow drawn, publish a broken workflow
 * and see each problem where it is, fix it and publish, file under it as a citizen, compare two versions; other
 * roles get the not-found page.
 */
describe('administrator procedure pages in a browser', () => {
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
  const newCode = () => `T-${randomUUID().slice(0, 8)}`;

  async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  function expectClean() {
    expect(checker.takeProblems()).toEqual([]);
  }

  it('creates a procedure, previews live, publishes a broken workflow, fixes it, files under it and compares', async () => {
    const page = await open(true);
    await signIn(page, 'admin@demo.local');
    await go(page, '/admin/procedures');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thủ tục hành chính');
    expect(await page.getByRole('link', { name: DEMO.householdBusiness }).count()).toBe(1);
    await checker.check(page, 'admin-procedure-list');

    // Create: a taken code is refused at its field, nothing written.
    await page.getByLabel('Mã thủ tục').fill(DEMO.birthExtract);
    await page.getByLabel('Tên thủ tục').fill('Trùng mã');
    await page.getByLabel('Cơ quan giải quyết').selectOption(DEMO.agencies.bennghe);
    await page.getByRole('button', { name: 'Tạo thủ tục' }).click();
    await page.locator('.govuk-error-summary a[href="#code"]').waitFor();
    expect(await page.textContent('.govuk-error-summary')).toContain('Đã có thủ tục với mã này');
    await checker.check(page, 'admin-procedure-create-error');

    const code = newCode();
    await page.getByLabel('Mã thủ tục').fill(code);
    await page.getByLabel('Tên thủ tục').fill('Cấp giấy xác nhận thử nghiệm');
    await page.getByRole('button', { name: 'Tạo thủ tục' }).click();
    await page.waitForURL(new RegExp(`/admin/procedures/${code}\\?notice=procedure-created`));
    expect(await page.textContent('main')).toContain('Chưa có phiên bản nào');
    await checker.check(page, 'admin-procedure-versions');

    await page.getByRole('button', { name: 'Thêm phiên bản' }).click();
    await page.waitForURL(/\/versions\/new$/);
    await checker.check(page, 'admin-procedure-new');
    await page.getByRole('button', { name: 'Lưu bản nháp' }).click();
    await page.waitForURL(/\/versions\/1\?notice=procedure-saved$/);

    // The live preview: typing a schema redraws the citizen's form in the inert preview region.
    const preview = page.locator('[data-schema-preview]');
    expect(await preview.locator('[data-preview-body]').getAttribute('inert')).not.toBeNull();
    await page.locator('#formSchema').fill(schema({ fullName: 'Họ và tên người nộp', purpose: 'Mục đích xin cấp' }));
    await preview.getByText('Mục đích xin cấp').waitFor();
    expect(await preview.locator('input#fullName').count()).toBe(1);
    await checker.check(page, 'admin-procedure-preview');

    // The diagram: an SVG image with the states' names.
    const svg = page.locator('svg[role="img"]');
    for (const state of ['draft', 'submitted', 'processing', 'completed']) {
      expect(await svg.locator(`[data-state="${state}"]`).count()).toBe(1);
    }
    expect(await svg.textContent()).toContain('submit (citizen)');
    await checker.check(page, 'admin-procedure-diagram');

    // A broken workflow: publishing shows each problem where it is.
    await page.locator('#workflow').fill(JSON.stringify(BROKEN_WORKFLOW, null, 2));
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/versions/1')),
      page.getByRole('button', { name: 'Lưu và công bố' }).click(),
    ]);
    expect(refused.status()).toBe(422);
    await page.waitForLoadState('load');
    const links = page.locator('.govuk-error-summary a[href="#workflow"]');
    expect(await links.count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('.govuk-error-summary')).toContain('workflow.actions[0].to');
    const beside = (await page.textContent('#workflow-error'))!;
    expect(beside).toContain('workflow.actions[0].to: Unknown state "nowhere"');
    expect(beside).toContain('workflow.states');
    const nowhere = page.locator('svg [data-state="nowhere"]');
    expect(await nowhere.textContent()).toContain('⚠ nowhere');
    expect(await nowhere.locator('rect').first().getAttribute('stroke-dasharray')).toBe('6 3');
    expect(await page.locator('svg [data-action="submit"]').textContent()).toContain('⚠ submit');
    expect(await page.locator('svg [data-state="completed"]').textContent()).not.toContain('⚠');
    await checker.check(page, 'admin-procedure-problems');
    await page.locator('.govuk-error-summary a[href="#workflow"]').first().click();
    expect(await page.evaluate('document.activeElement.id')).toBe('workflow');

    // Fixed: published, and from then on read-only.
    await page.locator('#workflow').fill(JSON.stringify(GOOD_WORKFLOW, null, 2));
    await page.getByRole('button', { name: 'Lưu và công bố' }).click();
    await page.waitForURL(/\/versions\/1\?notice=procedure-published$/);
    expect(await page.textContent('main')).toContain('không thể sửa');
    expect(await page.locator('textarea').count()).toBe(0);
    expect(await page.locator('svg[role="img"] [data-state="processing"]').count()).toBe(1);
    await checker.check(page, 'admin-procedure-published');

    // A citizen files under the new procedure, on the page.
    const citizen = await newCitizen(t);
    const filed = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: code, formData: { fullName: 'Trần Văn Bình', purpose: 'Xin việc' } });
    expect(filed.status).toBe(201);
    const cpage = await open(true);
    await signIn(cpage, citizen.email, 'Citizen-pass-1');
    await go(cpage, `/dossiers/new?procedure=${code}`);
    expect(await cpage.getByLabel('Mục đích xin cấp').count()).toBe(1);

    // Version 2, prefilled from version 1, with a field more; then the comparison.
    await go(page, `/admin/procedures/${code}`);
    await page.getByRole('button', { name: 'Thêm phiên bản' }).click();
    await page.waitForURL(/\/versions\/new$/);
    expect(await page.locator('#formSchema').inputValue()).toContain('Mục đích xin cấp');
    await page
      .locator('#formSchema')
      .fill(schema({ fullName: 'Họ và tên người nộp', purpose: 'Mục đích', phone: 'Số điện thoại' }));
    await page.locator('#processingDays').fill('7');
    await page.getByRole('button', { name: 'Lưu bản nháp' }).click();
    await page.waitForURL(/\/versions\/2\?notice=procedure-saved$/);
    await go(page, `/admin/procedures/${code}`);
    await page.getByRole('button', { name: 'So sánh' }).click();
    await page.waitForURL(/\/compare\?a=1&b=2$/);
    const diff = (await page.textContent('main'))!;
    expect(diff).toContain('So sánh phiên bản 1 và 2');
    const form = page.locator('h2:has-text("Mẫu đơn") + ul');
    expect(await form.textContent()).toMatch(/Thêm\s*phone/);
    expect(await form.textContent()).toMatch(/Sửa\s*purpose/);
    expect(await page.locator('h2:has-text("Thiết lập khác") + ul').textContent()).toMatch(
      /processingDays[\s\S]*5[\s\S]*7/,
    );
    expect(await page.locator('h2:has-text("Trạng thái của quy trình") + p').textContent()).toBe('Không thay đổi.');
    await checker.check(page, 'admin-procedure-compare');
    expectClean();
  });

  it('without JavaScript: the Preview button redraws the form; broken JSON is shown at its line and column', async () => {
    const adm = await admin(t);
    const code = newCode();
    await t.http
      .post(`${api}/admin/procedures`)
      .set(adm.auth)
      .send({ code, name: 'Thủ tục xem trước', agencyCode: DEMO.agencies.quan1, level: 'full' })
      .expect(201);
    const page = await open(false);
    await signIn(page, 'admin@demo.local');
    await go(page, `/admin/procedures/${code}/versions/new`);
    await page.locator('#formSchema').fill(schema({ address: 'Địa chỉ thường trú' }));
    await page.getByRole('button', { name: 'Xem trước' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('[data-preview-body]').textContent()).toContain('Địa chỉ thường trú');
    expect(await page.locator('#formSchema').inputValue()).toContain('Địa chỉ thường trú');
    await checker.check(page, 'admin-procedure-preview-nojs');

    await page.locator('#formSchema').fill('{\n  "type": "object",\n  "properties": }');
    await page.getByRole('button', { name: 'Lưu bản nháp' }).click();
    await page.waitForLoadState('load');
    const summary = page.locator('.govuk-error-summary a[href="#formSchema"]');
    expect(await summary.textContent()).toBe('Mẫu đơn (JSON Schema): JSON không hợp lệ ở dòng 3, cột 17');
    expect(await page.textContent('#formSchema-error')).toContain('dòng 3, cột 17');
    await checker.check(page, 'admin-procedure-json-error-nojs');
    // Nothing was written.
    const versions = await t.http.get(`${api}/admin/procedures/${code}/versions`).set(adm.auth).expect(200);
    expect(versions.body).toEqual([]);
    expectClean();
  });

  it('a clerk and a citizen get the not-found page on /admin/procedures', async () => {
    const clerkPage = await open(true);
    await signIn(clerkPage, 'clerk.quan1@demo.local');
    for (const path of ['/admin/procedures', `/admin/procedures/${DEMO.birthExtract}/versions/1`]) {
      const res = await go(clerkPage, path);
      expect(res!.status()).toBe(404);
    }
    await checker.check(clerkPage, 'admin-procedure-404-clerk');
    const citizen = await newCitizen(t);
    const citizenPage = await open(true);
    await signIn(citizenPage, citizen.email, 'Citizen-pass-1');
    const res = await go(citizenPage, '/admin/procedures');
    expect(res!.status()).toBe(404);
    // The preview fragment too, even with a valid token of the citizen's session.
    const posted = await citizenPage.evaluate(async () => {
      const r = await fetch('/admin/procedures/preview', {
        method: 'POST',
        body: new URLSearchParams({ formSchema: '{}' }),
      });
      return r.status;
    });
    expect(posted).toBe(403);
    expectClean();
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(11);
    expect(await checker.validateAll()).toEqual([]);
  });
});
