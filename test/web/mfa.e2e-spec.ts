import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AgenciesService } from '../../src/agencies/agencies.service';
import { createTestApp, TestApp } from '../support/app';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

jest.setTimeout(180_000);

/**
 * The staff second factor in a real browser (STAFF_MFA_REQUIRED=true): a new clerk signs in with a password, is
 * sent to enrolment (QR code, key, recovery codes), confirms with a code computed from the key shown, lands on
 * /staff; then signs in with password + code, and with password + a recovery code, which then no longer works.
 * Every page is checked (axe, CSP, 360 px, vnu) and screenshotted.
 */
describe('staff second factor in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const checker = new PageChecker();
  const contexts: BrowserContext[] = [];
  const PASSWORD = 'Staff-pass-2026';

  beforeAll(async () => {
    ensureAssets();
    browser = await launchBrowser();
    t = await createTestApp({ env: { STAFF_MFA_REQUIRED: 'true' } });
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(): Promise<Page> {
    const context = await checker.context(browser, { javaScript: true });
    contexts.push(context);
    return context.newPage();
  }

  async function password(page: Page, email: string) {
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email hoặc số điện thoại').fill(email);
    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
  }

  async function signOut(page: Page) {
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.waitForURL(/\/login/);
  }

  it('enrols after the password, then signs in with a code and with a recovery code (used once)', async () => {
    const email = `clerk-${randomUUID().slice(0, 8)}@example.vn`;
    // Made through the service the admin API uses (the admin would need a second factor first).
    await t.app.get(AgenciesService).createStaff({
      email,
      password: PASSWORD,
      role: 'clerk',
      agencyCode: '000.00.01.H56',
      fullName: 'Cán bộ Hai Lớp',
    });
    const page = await open();

    await password(page, email);
    await page.waitForURL(/\/account\/mfa$/);
    await checker.check(page, 'staff-mfa-enrol');
    expect(await page.locator('#mfa-qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.locator('#mfa-secret').innerText()).replace(/\s/g, '');
    const codes = await page.locator('#recovery-codes code').allInnerTexts();
    expect(codes).toHaveLength(10);

    // A wrong code first: the error summary, nothing activated.
    await page.getByLabel('Mã xác thực').fill('000000');
    await page.getByRole('button', { name: 'Bật xác thực hai lớp' }).click();
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Mã xác thực không đúng');
    await checker.check(page, 'staff-mfa-enrol-error');
    // The key stays the same; the recovery codes shown before are replaced by the ones shown now.
    expect((await page.locator('#mfa-secret').innerText()).replace(/\s/g, '')).toBe(secret);
    const kept = await page.locator('#recovery-codes code').allInnerTexts();

    await page.getByLabel('Mã xác thực').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Bật xác thực hai lớp' }).click();
    await page.waitForURL(/\/staff$/);
    await checker.check(page, 'staff-mfa-enrolled-queue');
    await page.goto(`${t.url}/account/mfa`);
    expect(await page.locator('.govuk-tag--green').innerText()).toContain('Đang bật');
    await checker.check(page, 'staff-mfa-status');
    await signOut(page);

    // Password + TOTP (the next time-step: the enrolment's code cannot be used again).
    await password(page, email);
    await page.waitForURL(/\/login\/mfa$/);
    await checker.check(page, 'staff-mfa-code');
    await page.getByLabel('Mã xác thực').fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await page.waitForURL(/\/staff$/);
    await signOut(page);

    // Password + a recovery code; then the same code is refused.
    await password(page, email);
    await page.waitForURL(/\/login\/mfa$/);
    await page.getByLabel('Mã xác thực').fill(kept[0]);
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await page.waitForURL(/\/staff$/);
    await signOut(page);

    await password(page, email);
    await page.waitForURL(/\/login\/mfa$/);
    await page.getByLabel('Mã xác thực').fill(kept[0]);
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    expect(await page.locator('.govuk-error-summary').innerText()).toContain('Mã xác thực không đúng');
    await checker.check(page, 'staff-mfa-code-error');
    expect(page.url()).toMatch(/\/login\/mfa$/);
    // Each showing of the enrolment page had its own set of codes.
    expect(kept).not.toEqual(codes);
    expect(checker.takeProblems()).toEqual([]);
  });
});
