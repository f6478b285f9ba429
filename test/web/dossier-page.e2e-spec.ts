import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import {
  DEMO,
  DEMO_PASSWORD,
  idem,
  login,
  newCitizen,
  PDF,
  PNG,
  staff,
  uploadDocument,
  waitFor,
} from '../support/factories';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

const api = '/api/v1';
jest.setTimeout(240_000);

const HOUSEHOLD_FORM = {
  businessName: 'Hộ kinh doanh Bánh mì Cô Ba',
  ownerName: 'Nguyễn Thị Ba',
  address: '12 Lê Lợi, Phường Bến Nghé, Quận 1',
  businessLine: 'Bán lẻ bánh mì',
  capitalVnd: 50000000,
};

/** dd/mm/yyyy in Vietnam time, as the pages write dates. */
const vnDate = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(new Date(iso));

/**
 * The dossier page /dossiers/:id in a real browser, with JavaScript on and off: documents (upload with progress,
 * replace, remove, a refused file), check your answers and a submission that files once however often it is sent,
 * the printable receipt, a supplementation round, paying through the sandbox gateway and back, the result, the
 * rating; withdrawal with confirmation; another citizen's or a staff account's view is the not-found page.
 */
describe('the dossier page in a browser', () => {
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

  function expectClean() {
    expect(checker.takeProblems()).toEqual([]);
  }

  async function signIn(page: Page, email: string, password = 'Citizen-pass-1') {
    await go(page, '/login');
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }

  async function draft(citizen: { auth: { Authorization: string } }, procedureCode: string, formData: object) {
    const d = await t.http.post(`${api}/applications`).set(citizen.auth).send({ procedureCode, formData }).expect(201);
    return d.body.id as string;
  }

  const view = async (citizen: { auth: { Authorization: string } }, id: string) =>
    (await t.http.get(`${api}/applications/${id}`).set(citizen.auth).expect(200)).body;
  const history = async (citizen: { auth: { Authorization: string } }, id: string) =>
    (await t.http.get(`${api}/applications/${id}/history`).set(citizen.auth).expect(200)).body as {
      action: string;
    }[];
  const documents = async (citizen: { auth: { Authorization: string } }, id: string) =>
    (await t.http.get(`${api}/applications/${id}/documents`).set(citizen.auth).expect(200)).body as {
      documentKey: string;
      fileName: string;
    }[];

  /** Uploads a file in a document's card; with JavaScript the upload is slowed so that its progress bar shows. */
  async function upload(
    page: Page,
    js: boolean,
    key: string,
    file: { name: string; mimeType: string; buffer: Buffer },
  ) {
    // From the page without a notice, so that the notice that follows tells that this upload is done.
    if (page.url().includes('notice=')) await page.goto(page.url().split('?')[0]);
    await page.setInputFiles(`#doc-${key}`, file);
    const card = page.locator(`#card-${key}`);
    if (js) {
      await card.locator('button[type=submit]').last().click();
      await card.locator('progress').waitFor();
    } else {
      await card.locator('button[type=submit]').last().click();
    }
  }

  /**
   * The start of the journey on the pages: search without diacritics, open the procedure, Start, create an account
   * on the way (back to the form after it), fill the form in and save it: the draft's id, and an API session of the
   * same citizen for the checks.
   */
  async function findRegisterAndFile(page: Page, js: boolean) {
    await go(page, '/');
    await page.getByLabel('Tên hoặc mã thủ tục').fill('dang ky ho kinh doanh');
    await page.getByRole('button', { name: 'Tìm kiếm' }).click();
    await page.getByRole('link', { name: 'Đăng ký thành lập hộ kinh doanh' }).click();
    await page.waitForURL(/\/procedures\/2\.000720$/);
    await page.getByRole('button', { name: 'Bắt đầu nộp hồ sơ' }).click();
    await page.waitForURL(/\/login\?next=/);
    await page.getByRole('link', { name: 'Chưa có tài khoản? Tạo tài khoản' }).click();
    await page.waitForURL(/\/register\?next=/);
    const tag = randomUUID().slice(0, 8);
    const email = `journey-${tag}@example.vn`;
    const idNumber = String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
    await page.getByLabel('Họ và tên').fill('Nguyễn Thị Ba');
    await page.getByLabel('Địa chỉ email').fill(email);
    await page.getByLabel('Số điện thoại di động').fill(`09${idNumber.slice(-8)}`);
    await page.getByLabel('Số định danh cá nhân (CCCD)').fill(idNumber);
    await page.getByLabel('Mật khẩu').fill('Citizen-pass-1');
    await page.getByRole('button', { name: 'Tạo tài khoản' }).click();
    // Back where the citizen was going: the form of the procedure.
    await page.waitForURL(/\/dossiers\/new\?procedure=2\.000720$/);
    await checker.check(page, `journey-form${suffix(js)}`);
    await page.getByLabel('Tên hộ kinh doanh').fill(HOUSEHOLD_FORM.businessName);
    await page.getByLabel('Chủ hộ', { exact: true }).fill(HOUSEHOLD_FORM.ownerName);
    await page.getByLabel('Địa điểm kinh doanh').fill(HOUSEHOLD_FORM.address);
    await page.getByLabel('Ngành nghề').fill(HOUSEHOLD_FORM.businessLine);
    await page.getByLabel('Vốn kinh doanh (VND)').fill('50.000.000');
    await page.getByRole('button', { name: 'Lưu và tiếp tục' }).click();
    await page.waitForURL(/\/dossiers\/[0-9a-f-]{36}\?notice=saved$/);
    const id = new URL(page.url()).pathname.split('/')[2];
    const citizen = await login(t, email, 'Citizen-pass-1');
    expect((await view(citizen, id)).formData).toEqual(HOUSEHOLD_FORM);
    return { id, citizen };
  }

  describe.each([true, false])('with JavaScript %s', (js) => {
    it('finds the procedure, registers, files, uploads, submits twice (once), supplements, pays, downloads, rates', async () => {
      const clerk = await staff(t, 'clerk', 'quan1');
      const page = await open(js);
      // Uploads are slowed down a little, so that the progress bar can be seen.
      if (js) {
        await page.route(/\/documents\?key=/, async (route) => {
          await new Promise((r) => setTimeout(r, 600));
          await route.continue();
        });
      }
      const { id, citizen } = await findRegisterAndFile(page, js);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Bản nháp (chưa có mã)');
      expect(await page.textContent('#dossier-state')).toContain('Đang soạn');
      await checker.check(page, `dossier-draft${suffix(js)}`);

      // Both required documents, on the page (a progress bar with JavaScript).
      await upload(page, js, 'id_card', { name: 'cccd.pdf', mimeType: 'application/pdf', buffer: PDF });
      await page.waitForURL(/notice=dossier-uploaded/);
      await upload(page, js, 'premises_proof', { name: 'hop-dong.png', mimeType: 'image/png', buffer: PNG });
      await page.waitForURL(/notice=dossier-uploaded/);
      expect(await main(page)).toContain('Đã tải lên giấy tờ.');
      await checker.check(page, `dossier-uploaded${suffix(js)}`);
      // Replace one, remove the other and upload it again.
      await upload(page, js, 'id_card', { name: 'cccd-moi.pdf', mimeType: 'application/pdf', buffer: PDF });
      await page.waitForURL(/notice=dossier-uploaded/);
      expect((await documents(citizen, id)).filter((x) => x.documentKey === 'id_card').map((x) => x.fileName)).toEqual([
        'cccd-moi.pdf',
      ]);
      await page.locator('#card-premises_proof').getByRole('button', { name: 'Xóa hop-dong.png' }).click();
      await page.waitForURL(/notice=dossier-removed/);
      expect((await documents(citizen, id)).map((x) => x.documentKey)).toEqual(['id_card']);
      // A file of the wrong type: an error summary, nothing stored.
      await page.setInputFiles('#doc-premises_proof', {
        name: 'ghi-chu.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('not a scan'),
      });
      await page.locator('#card-premises_proof button[type=submit]').click();
      await page.locator('.govuk-error-summary').waitFor();
      expect(await page.textContent('.govuk-error-summary')).toContain('Tệp phải là PDF, JPG hoặc PNG');
      expect(await page.locator('.govuk-error-summary a').getAttribute('href')).toBe('#doc-premises_proof');
      expect(await page.title()).toMatch(/^Lỗi:/);
      await checker.check(page, `dossier-upload-error${suffix(js)}`);
      expect(await documents(citizen, id)).toHaveLength(1);
      await upload(page, js, 'premises_proof', { name: 'hop-dong.pdf', mimeType: 'application/pdf', buffer: PDF });
      await page.waitForURL(/notice=dossier-uploaded/);

      // Check your answers, then submit: a double click and the same form sent again file once.
      await page.getByRole('button', { name: 'Kiểm tra và nộp hồ sơ' }).click();
      await page.waitForURL(/\/check$/);
      const check = await main(page);
      expect(check).toContain('Hộ kinh doanh Bánh mì Cô Ba');
      expect(check).toContain('Tên hộ kinh doanh');
      expect(check).toContain('cccd-moi.pdf');
      expect(await page.getByRole('link', { name: /Thay đổi\s+Tên hộ kinh doanh/ }).getAttribute('href')).toBe(
        `/dossiers/${id}/edit#businessName`,
      );
      await checker.check(page, `dossier-check${suffix(js)}`);
      const form = page.locator(`form[action="/dossiers/${id}/submit"]`);
      const fields = {
        _csrf: await form.locator('input[name=_csrf]').inputValue(),
        key: await form.locator('input[name=key]').inputValue(),
        then: await form.locator('input[name=then]').inputValue(),
      };
      await page.getByRole('button', { name: 'Nộp hồ sơ' }).dblclick();
      await page.waitForURL(/\/receipt$/);
      const again = await page.context().request.post(`${t.url}/dossiers/${id}/submit`, {
        form: fields,
        maxRedirects: 0,
      });
      expect(again.status()).toBe(303);
      expect(again.headers().location).toBe(`/dossiers/${id}/receipt`);
      expect((await history(citizen, id)).filter((h) => h.action === 'submit')).toHaveLength(1);
      const submitted = await view(citizen, id);
      expect(submitted.state).toBe('submitted');
      expect(await page.textContent('#receipt-code')).toBe(submitted.code);
      await checker.check(page, `dossier-receipt-submitted${suffix(js)}`);

      // The clerk receives it: the receipt has its due date.
      await t.http.post(`${api}/applications/${id}/actions/receive`).set(clerk.auth).send({}).expect(200);
      const received = await view(citizen, id);
      await go(page, `/dossiers/${id}/receipt`);
      expect(await page.textContent('#receipt-due')).toContain(vnDate(received.dueAt));
      expect(await page.textContent('#receipt-code')).toBe(submitted.code);
      if (js) expect(await page.getByRole('button', { name: 'In giấy biên nhận' }).count()).toBe(1);
      await checker.check(page, `dossier-receipt${suffix(js)}`);

      // A supplementation round: the page shows what the agency asks; the citizen adds a document and sends it.
      const asked = 'Bổ sung bản sao hợp đồng thuê địa điểm có công chứng.';
      await t.http
        .post(`${api}/applications/${id}/actions/request_supplement`)
        .set(clerk.auth)
        .send({ comment: asked })
        .expect(200);
      await go(page, `/dossiers/${id}`);
      expect(await page.textContent('#dossier-asked')).toContain(asked);
      expect(await page.textContent('#dossier-due')).toContain('(tạm dừng tính hạn)');
      await checker.check(page, `dossier-supplement${suffix(js)}`);
      await upload(page, js, 'premises_proof', {
        name: 'hop-dong-cong-chung.pdf',
        mimeType: 'application/pdf',
        buffer: PDF,
      });
      await page.waitForURL(/notice=dossier-uploaded/);
      await page.getByRole('button', { name: 'Kiểm tra và gửi bổ sung' }).click();
      await page.waitForURL(/\/check$/);
      await page.getByRole('button', { name: 'Gửi bổ sung' }).click();
      await page.waitForURL(/notice=dossier-resubmitted/);
      expect(await page.textContent('#dossier-state')).toContain('Đang giải quyết');
      expect((await history(citizen, id)).filter((h) => h.action === 'resubmit')).toHaveLength(1);

      // Approved: the charge is due; pay through the sandbox gateway and come back to the outcome.
      await t.http.post(`${api}/applications/${id}/actions/approve`).set(clerk.auth).send({}).expect(200);
      await go(page, `/dossiers/${id}`);
      expect(await page.textContent('#payment-amount')).toBe('100.000 ₫');
      await checker.check(page, `dossier-awaiting-payment${suffix(js)}`);
      await page.getByRole('button', { name: 'Thanh toán 100.000 ₫' }).click();
      await page.waitForURL(/\/sandbox\/vnpay\/pay\?/);
      if (js) {
        // The bank's word is late: the page waits, polls and shows the outcome once the status check settles it.
        const txnRef = new URL(page.url()).searchParams.get('vnp_TxnRef')!;
        const done = await t.http
          .post(`${api}/sandbox/vnpay/transactions/${txnRef}/complete`)
          .send({ outcome: 'pay', ipn: 'skip' })
          .expect(200);
        await page.goto(done.body.returnUrl);
        await page.waitForURL(new RegExp(`/dossiers/${id}/payment\\?ref=${txnRef}$`));
        expect(await page.getAttribute('#payment-outcome', 'data-outcome')).toBe('waiting');
        expect(await main(page)).toContain('Đang chờ ngân hàng xác nhận');
        await checker.check(page, 'dossier-payment-waiting');
        await page.locator('#payment-outcome[data-outcome="paid"]').waitFor({ timeout: 30_000 });
      } else {
        await page.getByRole('button', { name: 'Thanh toán / Pay' }).click();
        await page.waitForURL(new RegExp(`/dossiers/${id}/payment\\?ref=`));
      }
      expect(await page.getAttribute('#payment-outcome', 'data-outcome')).toBe('paid');
      expect(await main(page)).toContain('Đã thanh toán thành công');
      await checker.check(page, `dossier-payment-paid${suffix(js)}`);
      await t.drain();
      await waitFor(async () => (await view(citizen, id)).state === 'approved', 'the payment to move the dossier');

      // The clerk returns the result: download it, then rate the service once.
      await t.http.post(`${api}/applications/${id}/actions/return_result`).set(clerk.auth).send({}).expect(200);
      await t.drain();
      await waitFor(async () => (await view(citizen, id)).result?.sha256, 'the result to be rendered');
      await go(page, `/dossiers/${id}`);
      expect(await page.textContent('#dossier-state')).toContain('Đã hoàn thành');
      expect(await page.textContent('#payment-status')).toContain('Đã thanh toán');
      expect(await main(page)).toContain((await view(citizen, id)).result.verificationCode);
      await checker.check(page, `dossier-completed${suffix(js)}`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#result-download')]);
      const bytes = await new Promise<Buffer>((resolve, reject) => {
        void download.createReadStream().then((s) => {
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => resolve(Buffer.concat(chunks)));
          s.on('error', reject);
        });
      });
      expect(bytes.subarray(0, 4).toString()).toBe('%PDF');

      await page.getByLabel('5 – Rất hài lòng').check();
      await page.getByLabel('Góp ý (không bắt buộc)').fill('Nhanh gọn.');
      const csrf = await page.locator('form[action$="/rating"] input[name=_csrf]').inputValue();
      await page.getByRole('button', { name: 'Gửi đánh giá' }).click();
      await page.waitForURL(/notice=dossier-rated/);
      expect(await page.textContent('#rating-score')).toBe('5/5');
      expect(await page.locator(`form[action$="/rating"]`).count()).toBe(0);
      await checker.check(page, `dossier-rated${suffix(js)}`);
      const second = await page.context().request.post(`${t.url}/dossiers/${id}/rating`, {
        form: { _csrf: csrf, score: '1' },
        maxRedirects: 0,
      });
      expect(second.status()).toBe(409);
      expect(await second.text()).toContain('Bạn đã đánh giá hồ sơ này');
      expect((await view(citizen, id)).rating.score).toBe(5);
      expectClean();
    });
  });

  it('withdraws a dossier after a confirmation step', async () => {
    const citizen = await newCitizen(t);
    const id = await draft(citizen, DEMO.judicialRecord, {
      fullName: 'Trần Văn Tư',
      dateOfBirth: '1990-05-01',
      placeOfBirth: 'TP. Hồ Chí Minh',
      certificateType: 1,
      purpose: 'Xin việc',
    });
    await uploadDocument(t, citizen, id, 'id_card').expect(201);
    await t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    const page = await open();
    await signIn(page, citizen.email);
    await go(page, `/dossiers/${id}`);
    expect(await page.textContent('#payment-amount')).toBe('200.000 ₫');
    await page.getByRole('link', { name: 'Rút hồ sơ' }).click();
    await page.waitForURL(/\/withdraw$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Bạn có chắc muốn rút hồ sơ?');
    expect((await view(citizen, id)).state).toBe('awaiting_payment'); // nothing happens before the confirmation
    await checker.check(page, 'dossier-withdraw');
    await page.getByLabel('Lý do (không bắt buộc)').fill('Không cần nữa');
    await page.getByRole('button', { name: 'Rút hồ sơ' }).click();
    await page.waitForURL(/notice=dossier-withdrawn/);
    expect(await page.textContent('#dossier-state')).toContain('Đã rút hồ sơ');
    expect(await main(page)).toContain('Không cần nữa');
    expect(await page.getByRole('link', { name: 'Rút hồ sơ' }).count()).toBe(0);
    await checker.check(page, 'dossier-withdrawn');
    expect((await view(citizen, id)).state).toBe('withdrawn');
    expectClean();
  });

  it('loads each filing page within the budget: at most 150 KB compressed on a first visit, fonts aside', async () => {
    const citizen = await newCitizen(t);
    const id = await draft(citizen, DEMO.householdBusiness, HOUSEHOLD_FORM);
    const signedIn = await open(true);
    await signIn(signedIn, citizen.email);
    const cookies = await signedIn.context().cookies();
    for (const path of [
      `/dossiers/new?procedure=${DEMO.householdBusiness}`,
      `/dossiers/${id}`,
      `/dossiers/${id}/check`,
    ]) {
      // A new context: an empty cache, as on a citizen's first visit.
      const page = await open(true);
      await page.context().addCookies(cookies);
      const sizes: Promise<number>[] = [];
      page.on('requestfinished', (r) => {
        if (r.resourceType() !== 'font') sizes.push(r.sizes().then((x) => x.responseBodySize + x.responseHeadersSize));
      });
      const res = await go(page, path);
      expect(res?.status()).toBe(200);
      await page.waitForLoadState('networkidle');
      const transferred = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
      expect(transferred).toBeGreaterThan(10 * 1024); // the stylesheet and scripts were counted
      expect(transferred).toBeLessThanOrEqual(150 * 1024);
    }
  });

  it('shows the not-found page for another citizen’s dossier, a staff account, an unknown id or a bad one', async () => {
    const owner = await newCitizen(t);
    const id = await draft(owner, DEMO.householdBusiness, HOUSEHOLD_FORM);
    await uploadDocument(t, owner, id, 'id_card').expect(201);
    const other = await newCitizen(t);
    const page = await open();
    await signIn(page, other.email);
    const unknown = await go(page, `/dossiers/${randomUUID()}`);
    expect(unknown!.status()).toBe(404);
    const notFound = await page.content();
    await checker.check(page, 'dossier-not-found');
    const foreign = await go(page, `/dossiers/${id}`);
    expect(foreign!.status()).toBe(404);
    const strip = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '').replace(/\/dossiers\/[^"?]*/g, '');
    expect(strip(await page.content())).toBe(strip(notFound));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    for (const path of ['/check', '/receipt', '/withdraw', '/result', `/documents/${randomUUID()}`]) {
      expect((await go(page, `/dossiers/${id}${path}`))!.status()).toBe(404);
    }
    expect((await go(page, '/dossiers/not-a-uuid'))!.status()).toBe(404);
    // A foreign dossier's forms do nothing either.
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const remove = await page.context().request.post(`${t.url}/dossiers/${id}/actions/withdraw`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(remove.status()).toBe(404);

    const staffPage = await open();
    await signIn(staffPage, 'clerk.quan1@demo.local', DEMO_PASSWORD);
    expect((await go(staffPage, `/dossiers/${id}`))!.status()).toBe(404);
    expect(await staffPage.getByRole('heading', { level: 1 }).textContent()).toBe('Không tìm thấy trang');
    expectClean();
  });

  it('every page visited is valid HTML (Nu HTML Checker)', async () => {
    expect(checker.visited.size).toBeGreaterThanOrEqual(20);
    expect(await checker.validateAll()).toEqual([]);
  });
});
