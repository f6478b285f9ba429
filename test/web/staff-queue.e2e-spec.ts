import { createHash, randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import {
  admin,
  DEMO,
  DEMO_PASSWORD,
  idem,
  newCitizen,
  payInSandbox,
  PDF,
  plainPdf,
  PNG,
  signedPdf,
  uploadDocument,
  waitFor,
} from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(240_000);

const HOUSEHOLD_FORM = {
  businessName: 'Hộ kinh doanh Phở Bà Tư',
  ownerName: 'Nguyễn Thị Tư',
  address: '34 Lê Lợi, Phường Bến Nghé, Quận 1',
  businessLine: 'Bán phở',
  capitalVnd: 80000000,
};

type Citizen = Awaited<ReturnType<typeof newCitizen>>;

/**
 * The clerk's console in a real browser, with JavaScript on and off: the queue (filters in the URL, counts per state,
 * load more), a dossier worked from submission to result (claim, receive, request supplementation with a required
 * comment, approve, the signed result), two clerks acting at once (the second gets the conflict page), another
 * agency's clerk and a citizen get the not-found page everywhere.
 */
describe('the staff console: queue and dossier', () => {
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
  const main = async (page: Page) => (await page.textContent('main'))!;
  const expectClean = () => expect(checker.takeProblems()).toEqual([]);

  async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  /** A household business dossier of a new citizen, with its documents, submitted through the API. */
  async function submitted(): Promise<{ id: string; code: string; citizen: Citizen }> {
    const citizen = await newCitizen(t);
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({ procedureCode: DEMO.householdBusiness, formData: HOUSEHOLD_FORM })
      .expect(201);
    const id = d.body.id as string;
    await uploadDocument(t, citizen, id, 'id_card', PDF, 'cccd.pdf').expect(201);
    await uploadDocument(t, citizen, id, 'premises_proof', PNG, 'mat-bang.png').expect(201);
    const s = await t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    return { id, code: s.body.code as string, citizen };
  }

  const view = async (citizen: Citizen, id: string) =>
    (await t.http.get(`${api}/applications/${id}`).set(citizen.auth).expect(200)).body;
  const rowIds = (page: Page) =>
    page.locator('#queue-rows > tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('works the queue with filters and load more, then a dossier from receipt to result', async () => {
      const mine = await submitted();
      await submitted();
      await submitted();
      const page = await open(js);
      await signIn(page, 'clerk.quan1@demo.local');
      expect(new URL(page.url()).pathname).toBe('/staff');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Hồ sơ cần xử lý');
      expect(await page.locator('#queue-counts a[data-state="submitted"]').textContent()).toMatch(
        /Đã nộp, chờ tiếp nhận \(\d+\)/,
      );
      await checker.check(page, `staff-queue${suffix(js)}`);

      // The state filter, through the form (GET: the filter is in the URL).
      await page.locator('summary').filter({ hasText: 'Lọc danh sách' }).click();
      await page.getByLabel('Trạng thái', { exact: true }).selectOption('submitted');
      await page.getByRole('button', { name: 'Lọc', exact: true }).click();
      await page.waitForURL(/\/staff\?state=submitted/);
      const states = await page.locator('#queue-rows > tr td:nth-child(4)').allTextContents();
      expect(states.length).toBeGreaterThanOrEqual(3);
      expect(new Set(states)).toEqual(new Set(['Đã nộp, chờ tiếp nhận']));
      await checker.check(page, `staff-queue-filtered${suffix(js)}`);

      // Load more: two at a time; the next rows follow without repeating any.
      await go(page, '/staff?state=submitted&limit=2');
      const first = await rowIds(page);
      expect(first).toHaveLength(2);
      await page.getByRole('link', { name: 'Xem thêm hồ sơ' }).click();
      if (js) {
        await page.locator('#queue-rows > tr').nth(2).waitFor();
        expect(new URL(page.url()).searchParams.get('cursor')).toBeNull();
        expect(await page.textContent('#queue-status')).toMatch(/Đã tải thêm \d+ hồ sơ/);
        const all = await rowIds(page);
        expect(all.slice(0, 2)).toEqual(first);
        expect(new Set(all).size).toBe(all.length);
      } else {
        await page.waitForURL(/cursor=/);
        const next = await rowIds(page);
        expect(next.length).toBeGreaterThanOrEqual(1);
        expect(next.filter((x) => first.includes(x))).toEqual([]);
        expect(await main(page)).toContain('Về đầu danh sách');
      }
      await checker.check(page, `staff-queue-more${suffix(js)}`);

      // Open the dossier from the queue: its form data with the schema's labels, its documents inline.
      await go(page, '/staff?state=submitted&limit=100');
      await page.locator(`a[href="/staff/dossiers/${mine.id}"]`).click();
      await page.waitForURL(new RegExp(`/staff/dossiers/${mine.id}$`));
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(mine.code);
      expect(await main(page)).toContain('Tên hộ kinh doanh');
      expect(await main(page)).toContain(HOUSEHOLD_FORM.businessName);
      expect(await page.locator('iframe.portal-document-preview').getAttribute('title')).toBe('Xem trước cccd.pdf');
      expect(await page.locator('img.portal-document-image').getAttribute('alt')).toBe('Xem trước mat-bang.png');
      const preview = await page
        .context()
        .request.get(`${t.url}${(await page.locator('iframe.portal-document-preview').getAttribute('src'))!}`);
      expect(preview.headers()['content-disposition']).toMatch(/^inline;/);
      expect(Buffer.from(await preview.body()).equals(PDF)).toBe(true);
      expect(await page.textContent('#dossier-assignee')).toBe('Chưa phân công');
      expect(await page.locator('#actions button, #actions a.govuk-button').allTextContents()).toEqual([
        'Nhận xử lý hồ sơ',
        'Tiếp nhận',
        'Từ chối tiếp nhận…',
      ]);
      await checker.check(page, `staff-dossier-submitted${suffix(js)}`);

      // Claim it: then it is in "mine".
      await page.getByRole('button', { name: 'Nhận xử lý hồ sơ' }).click();
      await page.waitForURL(/done=claimed/);
      expect(await page.textContent('#dossier-assignee')).toBe('Bạn');
      await go(page, '/staff?assignee=me');
      expect(await rowIds(page)).toContain(mine.id);
      expect(await page.getByLabel('Của tôi').isChecked()).toBe(true);

      // Receive it.
      await go(page, `/staff/dossiers/${mine.id}`);
      await page.getByRole('button', { name: 'Tiếp nhận', exact: true }).click();
      await page.waitForURL(/done=action/);
      expect(await page.textContent('#dossier-state')).toBe('Đang giải quyết');
      expect((await view(mine.citizen, mine.id)).state).toBe('processing');

      // Request supplementation: the comment is required.
      await page.getByRole('button', { name: 'Yêu cầu bổ sung…' }).click();
      await page.waitForURL(/\/actions\/request_supplement/);
      await checker.check(page, `staff-dossier-confirm${suffix(js)}`);
      const [refused] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/actions/')),
        page.getByRole('button', { name: 'Yêu cầu bổ sung' }).click(),
      ]);
      expect(refused.status()).toBe(422);
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.locator('.govuk-error-summary a').getAttribute('href')).toBe('#comment');
      expect(await page.textContent('.govuk-error-summary')).toContain('Nhập nội dung gửi công dân');
      expect(await page.title()).toMatch(/^Lỗi:/);
      await checker.check(page, `staff-dossier-confirm-error${suffix(js)}`);
      expect((await view(mine.citizen, mine.id)).state).toBe('processing');
      const asked = 'Bổ sung hợp đồng thuê mặt bằng có công chứng.';
      await page.getByLabel('Nội dung (bắt buộc)').fill(asked);
      await page.getByRole('button', { name: 'Yêu cầu bổ sung' }).click();
      await page.waitForURL(/done=action/);
      expect(await page.textContent('#dossier-state')).toBe('Cần bổ sung hồ sơ');
      expect(await page.textContent('#dossier-due')).toContain('(tạm dừng tính hạn)');
      expect(await page.textContent('#timeline + ol')).toContain(asked);

      // The citizen sends the supplement through the API; the clerk approves.
      await t.http.post(`${api}/applications/${mine.id}/submit`).set(mine.citizen.auth).set(idem()).expect(200);
      await go(page, `/staff/dossiers/${mine.id}`);
      expect(await page.textContent('#dossier-state')).toBe('Đang giải quyết');
      await page.getByRole('button', { name: 'Phê duyệt' }).click();
      await page.waitForURL(/done=action/);
      expect(await page.textContent('#payment-status')).toBe('Chưa thanh toán');

      // Paid through the sandbox gateway: the receipt is on the clerk's page.
      await payInSandbox(t, mine.citizen, mine.id);
      await t.drain();
      await waitFor(async () => (await view(mine.citizen, mine.id)).state === 'approved', 'the payment');
      await go(page, `/staff/dossiers/${mine.id}`);
      expect(await page.textContent('#payment-status')).toBe('Đã thanh toán');
      const receipt = page.locator('#payment-receipts a');
      const receiptPdf = await page.context().request.get(`${t.url}${(await receipt.getAttribute('href'))!}`);
      expect(receiptPdf.status()).toBe(200);
      expect(
        Buffer.from(await receiptPdf.body())
          .subarray(0, 4)
          .toString(),
      ).toBe('%PDF');
      expect(await page.locator('#messages-list li').count()).toBeGreaterThan(0);
      await checker.check(page, `staff-dossier-approved${suffix(js)}`);

      // With JavaScript: a signed result uploaded first is the one issued; without: the portal generates it.
      // An unsigned file is refused with the reason (the signature is checked against the trust list).
      const signed = await signedPdf(t, 'quan1');
      if (js) {
        const unsigned = await plainPdf();
        await page.setInputFiles('#result-file', {
          name: 'chua-ky.pdf',
          mimeType: 'application/pdf',
          buffer: unsigned,
        });
        await page.getByRole('button', { name: 'Tải lên kết quả đã ký' }).click();
        await page.locator('.govuk-error-summary').waitFor();
        expect(await page.locator('.govuk-error-summary a').getAttribute('href')).toBe('#result-file');
        expect(await page.textContent('.govuk-error-summary')).toContain('Tệp chưa được ký số');
        await checker.check(page, `staff-dossier-result-unsigned${suffix(js)}`);
        await page.setInputFiles('#result-file', { name: 'ket-qua.pdf', mimeType: 'application/pdf', buffer: signed });
        await page.getByRole('button', { name: 'Tải lên kết quả đã ký' }).click();
        await page.waitForURL(/done=result/);
      }
      await page.getByRole('button', { name: 'Trả kết quả' }).click();
      await page.waitForURL(/done=action/);
      await t.drain();
      const done = await waitFor(async () => {
        const v = await view(mine.citizen, mine.id);
        return v.result?.sha256 ? v : null;
      }, 'the result');
      expect(done.state).toBe('completed');
      if (js) expect(done.result.sha256).toBe(createHash('sha256').update(signed).digest('hex'));
      await go(page, `/staff/dossiers/${mine.id}`);
      expect(await page.textContent('#dossier-state')).toBe('Đã hoàn thành');
      expect(await main(page)).toContain(done.result.verificationCode);
      expect(await page.textContent('#actions')).toContain('Bạn không có thao tác nào');
      const result = await page.context().request.get(`${t.url}/staff/dossiers/${mine.id}/result`);
      expect(
        Buffer.from(await result.body())
          .subarray(0, 4)
          .toString(),
      ).toBe('%PDF');
      await checker.check(page, `staff-dossier-completed${suffix(js)}`);
      expectClean();
    });
  });

  it('two clerks act at once: the second gets the conflict page that says what happened', async () => {
    const { id, citizen } = await submitted();
    const superuser = await admin(t);
    const email = `clerk-${randomUUID().slice(0, 8)}@quan1.example.vn`;
    await t.http
      .post(`${api}/admin/staff`)
      .set(superuser.auth)
      .send({
        email,
        password: 'Clerk-pass-12',
        role: 'clerk',
        agencyCode: DEMO.agencies.quan1,
        fullName: 'Phạm Văn Hai',
      })
      .expect(201);
    const one = await open(true);
    const two = await open(false);
    await signIn(one, 'clerk.quan1@demo.local');
    await signIn(two, email, 'Clerk-pass-12');
    await go(one, `/staff/dossiers/${id}`);
    await go(two, `/staff/dossiers/${id}`);
    await one.getByRole('button', { name: 'Tiếp nhận', exact: true }).click();
    await one.waitForURL(/done=action/);
    const [answer] = await Promise.all([
      two.waitForResponse((r) => r.request().method() === 'POST'),
      two.getByRole('button', { name: 'Tiếp nhận', exact: true }).click(),
    ]);
    expect(answer.status()).toBe(409);
    expect(await two.getByRole('heading', { level: 1 }).textContent()).toBe('Hồ sơ vừa được người khác cập nhật');
    expect(await two.textContent('#conflict-what')).toContain('Cơ quan tiếp nhận hồ sơ (Cán bộ)');
    expect(await two.textContent('#conflict-state')).toContain('Đang giải quyết');
    await checker.check(two, 'staff-dossier-conflict');
    // One receipt only.
    const history = (await t.http.get(`${api}/applications/${id}/history`).set(citizen.auth).expect(200)).body as {
      action: string;
    }[];
    expect(history.filter((h) => h.action === 'receive')).toHaveLength(1);
    // The claim the second clerk saw is stale too (the version changed): conflict, nothing assigned.
    const claim = await two.context().request.post(`${t.url}/staff/dossiers/${id}/claim`, {
      form: { _csrf: await two.locator('input[name=_csrf]').first().inputValue(), version: '1' },
      maxRedirects: 0,
    });
    expect(claim.status()).toBe(409);
    expect((await view(citizen, id)).assigneeId).toBeNull();
    await two.getByRole('button', { name: 'Tải lại hồ sơ' }).click();
    await two.waitForURL(new RegExp(`/staff/dossiers/${id}$`));
    expect(await two.textContent('#dossier-state')).toBe('Đang giải quyết');
    expectClean();
  });

  it('another agency’s clerk gets the not-found page on every URL of the dossier; a citizen on the console', async () => {
    const { id, citizen } = await submitted();
    const docs = (await t.http.get(`${api}/applications/${id}/documents`).set(citizen.auth).expect(200)).body as {
      id: string;
    }[];
    const page = await open(true);
    await signIn(page, 'clerk.bennghe@demo.local');
    const res = await go(page, `/staff/dossiers/${id}`);
    expect(res!.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    await checker.check(page, 'staff-dossier-not-found');
    for (const path of [
      `/documents/${docs[0].id}`,
      `/documents/${docs[0].id}?inline=1`,
      '/actions/receive',
      '/actions/refuse',
      '/result',
      `/payments/${randomUUID()}/receipt`,
    ]) {
      expect([path, (await go(page, `/staff/dossiers/${id}${path}`))!.status()]).toEqual([path, 404]);
    }
    await go(page, '/staff');
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    for (const path of ['/claim', '/actions/receive', '/actions/refuse', '/apology']) {
      const post = await page.context().request.post(`${t.url}/staff/dossiers/${id}${path}`, {
        form: { _csrf: csrf, version: '2', comment: 'Không hợp lệ', reason: 'Lý do bất kỳ', newDueAt: '01/01/2030' },
        maxRedirects: 0,
      });
      expect([path, post.status()]).toEqual([path, 404]);
    }
    const upload = await page.context().request.post(`${t.url}/staff/dossiers/${id}/result`, {
      multipart: { _csrf: csrf, file: { name: 'x.pdf', mimeType: 'application/pdf', buffer: PDF } },
      maxRedirects: 0,
    });
    expect(upload.status()).toBe(404);
    const after = await view(citizen, id);
    expect([after.state, after.assigneeId, after.apologies]).toEqual(['submitted', null, []]);
    // The other agency's queue does not list it.
    await go(page, '/staff?limit=100');
    expect(await rowIds(page)).not.toContain(id);

    const citizenPage = await open(false);
    await signIn(citizenPage, citizen.email, 'Citizen-pass-1');
    for (const path of ['/staff', `/staff/dossiers/${id}`, `/staff/dossiers/${id}/actions/receive`]) {
      expect([path, (await go(citizenPage, path))!.status()]).toEqual([path, 404]);
    }
    expect(await citizenPage.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    // A result file is not there before it is issued; a bad filter value is an error summary.
    const clerk = await open(false);
    await signIn(clerk, 'clerk.quan1@demo.local');
    const bad = await go(clerk, '/staff?assignee=everyone&due=tomorrow');
    expect(bad!.status()).toBe(400);
    expect(
      await clerk.locator('.govuk-error-summary a').evaluateAll((a) => a.map((x) => x.getAttribute('href'))),
    ).toEqual(['#assignee', '#due']);
    await checker.check(clerk, 'staff-queue-bad-filter');
    expect((await go(clerk, `/staff/dossiers/${id}/result`))!.status()).toBe(404);
    expectClean();
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(15);
    expect(await checker.validateAll()).toEqual([]);
  });
});
