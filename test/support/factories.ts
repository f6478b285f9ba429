import { randomInt, randomUUID } from 'node:crypto';
import { addWorkingTime, workingMsPerDay, type WorkCalendar } from '../../src/workflow/calendar';
import type { TestApp } from './app';

export const DEMO_PASSWORD = 'Demo@2026';

/** Demo procedures and staff from the seed (src/database/demo-data.ts). */
export const DEMO = {
  birthExtract: '1.004884',
  householdBusiness: '2.000720',
  judicialRecord: '2.001417',
  /** The judicial record with a verification step worked by the police (transfer between agencies). */
  judicialRecordTransfer: '2.001417-LT',
  agencies: { bennghe: '000.00.01.H56', quan1: '000.00.20.H56', sotuphap: '000.00.12.H56', congan: '000.00.30.H56' },
} as const;

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);

export interface Session {
  id?: string;
  email: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export async function login(t: TestApp, email: string, password = DEMO_PASSWORD): Promise<Session> {
  const res = await t.http.post('/api/v1/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    email,
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

export const staff = (t: TestApp, role: 'clerk' | 'supervisor', agency: 'bennghe' | 'quan1' | 'sotuphap' | 'congan') =>
  login(t, `${role}.${agency}@demo.local`);
export const admin = (t: TestApp) => login(t, 'admin@demo.local');

/** A new citizen with unique email, phone and ID number; logged in. */
export async function newCitizen(
  t: TestApp,
  overrides: Partial<{ locale: 'vi' | 'en'; fullName: string }> = {},
): Promise<Session & { idNumber: string }> {
  const email = `citizen-${randomUUID().slice(0, 12)}@example.vn`;
  const idNumber = String(randomInt(10 ** 11, 10 ** 12 - 1)).padStart(12, '0');
  const phone = `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`;
  const res = await t.http.post('/api/v1/auth/register').send({
    email,
    password: 'Citizen-pass-1',
    fullName: overrides.fullName ?? 'Lê Thị Hoa',
    idNumber,
    phone,
    locale: overrides.locale ?? 'vi',
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  const session = await login(t, email, 'Citizen-pass-1');
  return { ...session, id: res.body.id, idNumber };
}

export function uploadDocument(
  t: TestApp,
  s: Session,
  dossierId: string,
  documentKey: string,
  content = PDF,
  fileName = 'scan.pdf',
) {
  return t.http
    .post(`/api/v1/applications/${dossierId}/documents`)
    .set(s.auth)
    .field('documentKey', documentKey)
    .attach('file', content, fileName);
}

export const idem = () => ({ 'Idempotency-Key': `k-${randomUUID()}` });

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SandboxCompletion {
  attemptId: string;
  txnRef: string;
  redirectUrl: string;
  returnUrl: string;
  ipnParams: Record<string, string>;
  ipnResponse?: { RspCode: string; Message: string };
}

/**
 * Starts a payment as the citizen and plays the gateway's part through the
 * built-in VNPay sandbox: the payment page is opened (as the browser would),
 * then the sandbox decides and, unless told to skip it, sends the signed IPN.
 */
export async function payInSandbox(
  t: TestApp,
  citizen: Session,
  dossierId: string,
  opts: { outcome?: 'pay' | 'cancel'; ipn?: 'deliver' | 'skip' } = {},
): Promise<SandboxCompletion> {
  const started = await t.http
    .post(`/api/v1/applications/${dossierId}/payments`)
    .set(citizen.auth)
    .send({ provider: 'vnpay' });
  if (started.status !== 201) throw new Error(`start payment: ${started.status} ${JSON.stringify(started.body)}`);
  const redirectUrl: string = started.body.redirectUrl;
  const page = await fetch(redirectUrl);
  if (page.status !== 200) throw new Error(`sandbox pay page: ${page.status} ${await page.text()}`);
  const txnRef = new URL(redirectUrl).searchParams.get('vnp_TxnRef')!;
  const done = await t.http
    .post(`/api/v1/sandbox/vnpay/transactions/${txnRef}/complete`)
    .send({ outcome: opts.outcome ?? 'pay', ipn: opts.ipn ?? 'deliver' });
  if (done.status !== 200) throw new Error(`sandbox complete: ${done.status} ${JSON.stringify(done.body)}`);
  return { attemptId: started.body.attemptId, txnRef, redirectUrl, ...done.body };
}

/** supertest parser for a binary body (a PDF) as a Buffer: `.buffer(true).parse(binary)`. */
export const binary = (res: any, cb: (err: Error | null, body: Buffer) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** The demo agencies' codes (src/database/demo-data.ts): the subject of their signing keys. */
export const AGENCY_CODE = { bennghe: '000.00.01.H56', quan1: '000.00.20.H56', sotuphap: '000.00.12.H56' } as const;

/** A small real PDF (pdfkit), different each call: what a clerk signs before uploading it as a result. */
export async function plainPdf(text = `Kết quả ${randomUUID()}`): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ compress: false });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.text(text);
  doc.end();
  return done;
}

/** A result signed with the agency's (development demo) key, as the clerk's signing tool would. */
export async function signedPdf(t: TestApp, agency: keyof typeof AGENCY_CODE, text?: string): Promise<Buffer> {
  const { SigningService } = await import('../../src/signing/signing.service');
  return t.app.get(SigningService).sign(await plainPdf(text), AGENCY_CODE[agency]);
}

/**
 * The instant `days` working days after `from` in the calendar of the dossier's agency: always in its working
 * time (an apology's new date must be).
 */
export async function workingDaysAfter(t: TestApp, dossierId: string, from: Date | string, days: number) {
  const [{ calendar }]: { calendar: WorkCalendar }[] = await t.db.query(
    `SELECT a.calendar FROM dossiers d JOIN agencies a ON a.id = d.agency_id WHERE d.id = $1`,
    [dossierId],
  );
  return addWorkingTime(calendar, new Date(from), days * workingMsPerDay(calendar));
}
