import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';

const root = resolve(__dirname, '..', '..');
export const SCREENS = join(root, 'test-results', 'screens');
const HTML_DIR = join(root, 'test-results', 'html');

/** The built stylesheet and scripts (`npm test` builds them first; a direct `npx jest` run builds them here). */
export function ensureAssets(): void {
  if (!existsSync(join(root, 'dist', 'assets', 'manifest.json'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is plain CommonJS
    (require(join(root, 'scripts', 'build-web-assets.js')) as { build(): unknown }).build();
  }
}

/**
 * Where the Chromium inside @sparticuz/chromium is, and its flags: asked in a child Node process (it is an ES
 * module that Jest cannot load), which also unpacks it into /tmp the first time. The run's global setup asks once
 * and passes the answer to every suite in SPARTICUZ_CHROMIUM, so parallel suites never unpack it at the same time.
 */
export async function sparticuzChromium(): Promise<{ path: string; args: string[] }> {
  if (process.env.SPARTICUZ_CHROMIUM)
    return JSON.parse(process.env.SPARTICUZ_CHROMIUM) as { path: string; args: string[] };
  const script =
    "import('@sparticuz/chromium').then(async ({ default: c }) => " +
    'process.stdout.write(JSON.stringify({ path: await c.executablePath(), args: c.args })))';
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: root });
  return JSON.parse(stdout) as { path: string; args: string[] };
}

/** Chromium: CHROMIUM_PATH when set (a system browser), else the one inside @sparticuz/chromium. */
export async function launchBrowser(): Promise<Browser> {
  if (process.env.CHROMIUM_PATH) return chromium.launch({ executablePath: process.env.CHROMIUM_PATH, headless: true });
  const { path, args } = await sparticuzChromium();
  // Its flags are for AWS Lambda; --single-process ends the browser when a context closes (one context per test).
  return chromium.launch({ executablePath: path, args: args.filter((a) => a !== '--single-process'), headless: true });
}

/** A redirect has no document to keep; every other answer (a page, a 404 page, a form with errors) is checked. */
const isRedirect = (status: number) => status >= 300 && status < 400;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Checks every page a journey visits: no serious or critical axe-core violation, no CSP violation, no horizontal
 * scrolling at 360 px; screenshots at 360 and 1280 px; the server's HTML kept for the validator (`validateAll`).
 */
export class PageChecker {
  readonly visited = new Set<string>();
  private readonly axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  private readonly htmlFiles: string[] = [];
  private readonly problems: string[] = [];

  constructor() {
    mkdirSync(SCREENS, { recursive: true });
    mkdirSync(HTML_DIR, { recursive: true });
  }

  /** A new context (one per test) whose pages record their documents and console CSP errors. */
  async context(browser: Browser, opts: { javaScript?: boolean } = {}): Promise<BrowserContext> {
    const context = await browser.newContext({
      javaScriptEnabled: opts.javaScript ?? true,
      viewport: { width: 360, height: 740 },
      locale: 'vi-VN',
    });
    context.setDefaultTimeout(20_000);
    context.on('page', (page) => this.watch(page));
    this.scripting.set(context, opts.javaScript ?? true);
    return context;
  }

  private readonly lastDocument = new WeakMap<Page, Promise<string>>();
  private readonly scripting = new WeakMap<BrowserContext, boolean>();

  private watch(page: Page): void {
    page.on('response', (r: Response) => {
      if (
        r.request().resourceType() === 'document' &&
        r.request().frame() === page.mainFrame() &&
        !isRedirect(r.status())
      ) {
        this.lastDocument.set(
          page,
          r.text().catch(() => ''),
        );
      }
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text()))
        this.problems.push(`${page.url()}: ${m.text()}`);
    });
  }

  /** Runs the checks on the page as it is now, under `name` (screenshots are named after it). */
  async check(page: Page, name: string): Promise<void> {
    this.visited.add(name);
    await page.waitForLoadState('load');
    const html = await (this.lastDocument.get(page) ?? page.content());
    const file = join(HTML_DIR, `${name}.html`);
    writeFileSync(file, html);
    if (!this.htmlFiles.includes(file)) this.htmlFiles.push(file);

    await page.setViewportSize({ width: 360, height: 740 });
    // The layout metrics come from the browser (no page script: they work with JavaScript off too).
    const cdp = await page.context().newCDPSession(page);
    const metrics = (await cdp.send('Page.getLayoutMetrics')) as {
      cssContentSize: { width: number };
      cssLayoutViewport: { clientWidth: number };
    };
    await cdp.detach();
    const overflow = Math.ceil(metrics.cssContentSize.width - metrics.cssLayoutViewport.clientWidth);
    if (overflow > 0) this.problems.push(`${name}: scrolls horizontally at 360 px (${overflow} px)`);
    await page.screenshot({ path: join(SCREENS, `${name}-360.png`), fullPage: true });

    // axe-core runs in the page: with JavaScript on (the same HTML is checked with it off, in the other journey).
    if (this.scripting.get(page.context()) !== false) {
      const scroll = await page.evaluate<number>('document.scrollingElement.scrollWidth - window.innerWidth');
      if (scroll > 0) this.problems.push(`${name}: scrollWidth exceeds innerWidth at 360 px by ${scroll} px`);
      if (!(await page.evaluate("'axe' in window"))) await page.evaluate(this.axeSource);
      const violations = await page.evaluate<AxeViolation[]>(
        "axe.run({ resultTypes: ['violations'] }).then((r) => r.violations)",
      );
      for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        const where = v.nodes.map((n) => n.target.join(' ')).join(', ');
        this.problems.push(`${name}: axe ${v.impact} ${v.id} (${v.help}) at ${where}`);
      }
    }

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(SCREENS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
  }

  /** Every problem found so far (the accessibility, CSP and width checks). */
  takeProblems(): string[] {
    return this.problems.splice(0);
  }

  /** The Nu HTML Checker (vnu, Java) on every page kept: its errors, one line each. */
  async validateAll(): Promise<string[]> {
    if (!this.htmlFiles.length) return [];
    const jar = require.resolve('vnu-jar/build/dist/vnu.jar');
    const run = promisify(execFile);
    const { stdout, stderr } = await run('java', ['-jar', jar, '--format', 'json', '--stdout', ...this.htmlFiles], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e: { stdout: string; stderr: string }) => e);
    const report = JSON.parse(stdout || stderr) as {
      messages: { type: string; url: string; message: string; lastLine?: number; extract?: string }[];
    };
    return report.messages
      .filter((m) => m.type === 'error')
      .map((m) => `${m.url.split('/').pop()}:${m.lastLine ?? '?'} ${m.message} ${m.extract ?? ''}`);
  }
}
