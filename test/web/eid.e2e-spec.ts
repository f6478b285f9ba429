import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../support/app';
import { ensureAssets, launchBrowser, PageChecker } from './browser';

jest.setTimeout(180_000);

/**
 * The national eID journey in a real browser: /login → the sandbox eID provider's people page → back to the
 * portal, signed in with a new verified account → sign out, which also ends the provider's session (signing in
 * again shows the provider's people page again instead of passing straight through).
 */
describe('national eID sign-in in a browser', () => {
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

  async function open(javaScript: boolean): Promise<Page> {
    const context = await checker.context(browser, { javaScript });
    contexts.push(context);
    return context.newPage();
  }

  it.each([true, false])(
    'signs in with eID, lands on /dossiers, and signs out of the provider too (JavaScript %s)',
    async (js) => {
      const suffix = js ? '' : '-nojs';
      const page = await open(js);
      await page.goto(`${t.url}/login`);
      await checker.check(page, `eid-login${suffix}`);
      await page.getByRole('link', { name: 'Đăng nhập bằng định danh điện tử quốc gia (VNeID)' }).click();
      await page.waitForURL(/\/sandbox\/eid\/interaction\//);
      await checker.check(page, `eid-sandbox-people${suffix}`);
      const person = js ? 'Phạm Minh Châu, số định danh 079095000123' : 'Nguyễn Văn An, số định danh 079090000001';
      await page.getByRole('radio', { name: person }).check();
      await page.getByRole('button', { name: 'Đăng nhập và đồng ý chia sẻ thông tin' }).click();
      if (!js) {
        // The demo citizen has a password account with this ID number, unverified: link it with its password.
        await page.waitForURL(/\/login\/eid\/link$/);
        await checker.check(page, 'eid-link-nojs');
        await page.getByLabel('Mật khẩu của tài khoản').fill('Demo@2026');
        await page.getByRole('button', { name: 'Liên kết và đăng nhập' }).click();
      }
      await page.waitForURL(/\/dossiers$/);
      await checker.check(page, `eid-dossiers${suffix}`);
      const idNumber = js ? '079095000123' : '079090000001';
      const rows = await t.db.query(`SELECT id_number_verified FROM accounts WHERE id_number = $1`, [idNumber]);
      expect(rows).toEqual([{ id_number_verified: true }]);

      // Sign out: the provider asks to confirm ending its session, then sends the browser back to /login.
      await page.getByRole('button', { name: 'Đăng xuất' }).click();
      await page.waitForURL(/\/sandbox\/eid\/session\/end/);
      await page.getByRole('button', { name: 'Đăng xuất khỏi VNeID' }).click();
      await page.waitForURL(/\/login\?notice=signed-out$/);
      expect(await page.textContent('main')).toContain('Bạn đã đăng xuất.');

      // Signing in again asks the provider's people page again: its session ended too.
      await page.getByRole('link', { name: 'Đăng nhập bằng định danh điện tử quốc gia (VNeID)' }).click();
      await page.waitForURL(/\/sandbox\/eid\/interaction\//);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'VNeID thử nghiệm: chọn người đăng nhập',
      );
      expect(checker.takeProblems()).toEqual([]);
    },
  );
});
