import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { checkedRequest } from './support/contract';
import { configureApp, createAdapter } from '../src/app.setup';
import { loggerParams } from '../src/common/logging';
import { AppConfig, validateEnvironment } from '../src/config/configuration';
import { dataSourceOptions } from '../src/database/data-source';
import { SandboxIpnSender } from '../src/payments/sandbox/sandbox-ipn.sender';
import { SandboxVnpayModule } from '../src/payments/sandbox/sandbox.module';
import {
  buildPaymentUrl,
  buildQueryDr,
  buildRefund,
  parseCallback,
  verifyParams,
  verifyQueryDrResponse,
  verifyRefundResponse,
  VnpPaymentInput,
} from '../src/payments/vnpay/vnpay.protocol';
import { createSuiteDatabase, dropDatabase } from './support/db';

const SECRET = 'sandbox-test-secret-0123456789abcdef';
const TMN = 'DEMO0001';
const RETURN_URL = 'http://127.0.0.1:9/api/v1/payments/vnpay/return';
/** The exact field set of a VNPay 2.1.0 IPN (shared/vectors/vnpay-2.1.0.json). */
const IPN_FIELDS = [
  'vnp_Amount',
  'vnp_BankCode',
  'vnp_BankTranNo',
  'vnp_CardType',
  'vnp_OrderInfo',
  'vnp_PayDate',
  'vnp_ResponseCode',
  'vnp_SecureHash',
  'vnp_TmnCode',
  'vnp_TransactionNo',
  'vnp_TransactionStatus',
  'vnp_TxnRef',
].sort();
const RETRY_DELAYS = [50, 100, 150, 200];

/** A merchant's IPN endpoint: records every call and answers the RspCodes it is told to, per txnRef ('00' by default). */
class FakeMerchant {
  readonly calls: { txnRef: string; query: Record<string, string>; at: number }[] = [];
  private readonly scripts = new Map<string, string[]>();
  private server?: Server;
  url = '';

  /** Answers for one txnRef, in order; the last one repeats. 'http500' and 'garbage' give no JSON answer. */
  script(txnRef: string, ...answers: string[]): void {
    this.scripts.set(txnRef, answers);
  }

  callsFor(txnRef: string) {
    return this.calls.filter((c) => c.txnRef === txnRef);
  }

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://merchant.test');
      const query = Object.fromEntries(u.searchParams);
      const txnRef = query.vnp_TxnRef ?? '';
      this.calls.push({ txnRef, query, at: Date.now() });
      const script = this.scripts.get(txnRef) ?? ['00'];
      const answer = script.length > 1 ? script.shift()! : script[0];
      if (answer === 'http500') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      } else if (answer === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>ok</html>');
      } else {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ RspCode: answer, Message: `answer ${answer}` }));
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/payments/vnpay/ipn`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

interface SandboxApp {
  app: NestFastifyApplication;
  url: string;
  db: DataSource;
}

async function bootSandbox(env: Record<string, string>): Promise<SandboxApp> {
  // PUBLIC_BASE_URL explicit: the default (port 0) is not a valid URL once ConfigModule has copied it into process.env.
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    ...env,
  });
  @Module({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
      LoggerModule.forRoot(loggerParams('silent')),
      TypeOrmModule.forRootAsync({
        inject: [ConfigService],
        useFactory: (c: ConfigService<AppConfig, true>) => dataSourceOptions(c.get('DATABASE_URL', { infer: true })),
      }),
      SandboxVnpayModule.register({ ipnRetryDelaysMs: RETRY_DELAYS, ipnTimeoutMs: 2000 }),
    ],
  })
  class SandboxTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [SandboxTestModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(), { logger: false });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), db: app.get<DataSource>(getDataSourceToken()) };
}

async function waitFor<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let seq = 0;
const newTxnRef = () => `T${Date.now().toString(36).toUpperCase()}${(++seq).toString().padStart(3, '0')}`;

describe('VNPay sandbox gateway', () => {
  let database: { name: string; url: string };
  let merchant: FakeMerchant;
  let s: SandboxApp;
  let closed = false;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    merchant = await new FakeMerchant().start();
    s = await bootSandbox({
      DATABASE_URL: database.url,
      VNPAY_HASH_SECRET: SECRET,
      VNPAY_TMN_CODE: TMN,
      VNPAY_IPN_URL: merchant.url,
      SANDBOX_ENABLED: 'true',
    });
  });

  afterAll(async () => {
    if (!closed) await s?.app.close();
    await merchant?.stop();
    if (database) await dropDatabase(database.name);
  });

  const http = () => checkedRequest(s.app, s.url);
  const payUrlBase = () => `${s.url}/api/v1/sandbox/vnpay/pay`;

  function paymentInput(over: Partial<VnpPaymentInput> = {}): VnpPaymentInput {
    const now = new Date();
    return {
      tmnCode: TMN,
      amountVnd: 70000,
      txnRef: newTxnRef(),
      orderInfo: 'Thanh toan ho so 000.00.01.H56-261123-0001',
      ipAddr: '127.0.0.1',
      returnUrl: RETURN_URL,
      createDate: now,
      expireDate: new Date(now.getTime() + 15 * 60_000),
      ...over,
    };
  }

  /** What the portal does: redirect the citizen to the signed payment URL. Returns the page. */
  function openPayment(input: VnpPaymentInput, secret = SECRET) {
    const u = new URL(buildPaymentUrl(payUrlBase(), input, secret));
    return http().get(u.pathname + u.search);
  }

  async function openedPayment(over: Partial<VnpPaymentInput> = {}) {
    const input = paymentInput(over);
    await openPayment(input).expect(200);
    return input;
  }

  function complete(txnRef: string, body: Record<string, unknown>) {
    return http().post(`/api/v1/sandbox/vnpay/transactions/${txnRef}/complete`).send(body);
  }

  async function row(txnRef: string) {
    const [r] = await s.db.query(`SELECT * FROM sandbox_vnpay_transactions WHERE txn_ref = $1`, [txnRef]);
    return r;
  }

  function queryDr(input: VnpPaymentInput, over: Partial<Parameters<typeof buildQueryDr>[0]> = {}, secret = SECRET) {
    const body = buildQueryDr(
      {
        requestId: `Q${newTxnRef()}`,
        tmnCode: TMN,
        txnRef: input.txnRef,
        transactionDate: input.createDate,
        createDate: new Date(),
        ipAddr: '127.0.0.1',
        orderInfo: `Truy van giao dich ${input.txnRef}`,
        ...over,
      },
      secret,
    );
    return http().post('/api/v1/sandbox/vnpay/api/transaction').send(body);
  }

  function refund(input: VnpPaymentInput, over: Partial<Parameters<typeof buildRefund>[0]> = {}) {
    const body = buildRefund(
      {
        requestId: `R${newTxnRef()}`,
        tmnCode: TMN,
        transactionType: '02',
        txnRef: input.txnRef,
        amountVnd: input.amountVnd,
        transactionDate: input.createDate,
        createBy: 'supervisor@portal.local',
        createDate: new Date(),
        ipAddr: '127.0.0.1',
        orderInfo: `Hoan phi ${input.txnRef}`,
        ...over,
      },
      SECRET,
    );
    return http().post('/api/v1/sandbox/vnpay/api/transaction').send(body);
  }

  describe('payment page', () => {
    it('shows the merchant, the amount in VND and the order, with pay and cancel buttons, every value escaped', async () => {
      const input = paymentInput({ orderInfo: 'Thanh toán lệ phí <b>hồ sơ</b> & "bản sao"', amountVnd: 1234500 });
      const res = await openPayment(input).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain(TMN);
      expect(res.text).toMatch(/1\.234\.500\s₫/);
      expect(res.text).toContain('Thanh toán lệ phí &lt;b&gt;hồ sơ&lt;/b&gt; &amp; &quot;bản sao&quot;');
      expect(res.text).not.toContain('<b>hồ sơ</b>');
      expect(res.text).toContain(`action="pay/${input.txnRef}/decide"`);
      expect(res.text).toContain('name="outcome" value="pay"');
      expect(res.text).toContain('name="outcome" value="cancel"');
      expect(await row(input.txnRef)).toMatchObject({
        status: 'pending',
        amount_raw: '123450000',
        tmn_code: TMN,
        return_url: RETURN_URL,
      });
      // Opening the page again (reload) is fine.
      await openPayment(input).expect(200);
    });

    it('refuses a tampered or wrongly signed request with a 400 problem, and records nothing', async () => {
      const input = paymentInput();
      const u = new URL(buildPaymentUrl(payUrlBase(), input, SECRET));
      const tampered = u.search.replace('vnp_Amount=7000000', 'vnp_Amount=100');
      expect(tampered).not.toBe(u.search);
      const res = await http()
        .get(u.pathname + tampered)
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.detail).toMatch(/signature/i);
      await openPayment(input, 'another-secret-another-secret-00').expect(400);
      await http().get(`${u.pathname}${u.search}&vnp_Extra=1`).expect(400); // an unsigned extra parameter
      expect(await row(input.txnRef)).toBeUndefined();
    });

    it('checks the fields of a correctly signed request', async () => {
      const other = await openPayment(paymentInput({ tmnCode: 'OTHER001' })).expect(400);
      expect(other.body.errors).toEqual([expect.objectContaining({ field: 'vnp_TmnCode' })]);
      const past = new Date(Date.now() - 3600_000);
      const expired = await openPayment(
        paymentInput({ createDate: new Date(past.getTime() - 60_000), expireDate: past }),
      ).expect(400);
      expect(expired.body.errors).toEqual([expect.objectContaining({ field: 'vnp_ExpireDate' })]);
      const badRef = await openPayment(paymentInput({ txnRef: 'has-dash' })).expect(400);
      expect(badRef.body.errors).toEqual([expect.objectContaining({ field: 'vnp_TxnRef' })]);
    });

    it('refuses the same txnRef with another amount', async () => {
      const input = await openedPayment();
      const res = await openPayment({ ...input, amountVnd: 80000 }).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'vnp_TxnRef' })]);
      expect((await row(input.txnRef)).amount_raw).toBe('7000000');
    });
  });

  describe('deciding and the IPN', () => {
    it('pay: delivers one IPN, signed, with exactly the fields VNPay sends, and a signed return URL', async () => {
      const input = await openedPayment();
      const res = await complete(input.txnRef, { outcome: 'pay' }).expect(200);
      expect(res.body.ipnResponse).toEqual({ RspCode: '00', Message: 'answer 00' });

      const calls = merchant.callsFor(input.txnRef);
      expect(calls).toHaveLength(1);
      const ipn = calls[0].query;
      expect(Object.keys(ipn).sort()).toEqual(IPN_FIELDS);
      expect(verifyParams(ipn, SECRET)).toBe(true);
      expect(verifyParams({ ...ipn, vnp_Amount: '100' }, SECRET)).toBe(false);
      expect(ipn).toEqual(res.body.ipnParams);
      const cb = parseCallback(ipn)!;
      expect(cb).toMatchObject({
        txnRef: input.txnRef,
        tmnCode: TMN,
        amountVnd: 70000,
        responseCode: '00',
        transactionStatus: '00',
        bankCode: 'NCB',
        cardType: 'ATM',
        orderInfo: input.orderInfo,
      });
      expect(cb.transactionNo).toMatch(/^\d+$/);
      expect(cb.bankTranNo).toBe(`VNP${cb.transactionNo}`);
      expect(Math.abs(cb.paidAt!.getTime() - Date.now())).toBeLessThan(60_000);

      const back = new URL(res.body.returnUrl);
      expect(`${back.origin}${back.pathname}`).toBe(RETURN_URL);
      expect(Object.fromEntries(back.searchParams)).toEqual(ipn);

      await sleep(RETRY_DELAYS.reduce((a, b) => a + b, 0) + 200);
      expect(merchant.callsFor(input.txnRef)).toHaveLength(1); // acknowledged: no retry
      expect(await row(input.txnRef)).toMatchObject({
        status: 'paid',
        transaction_no: cb.transactionNo,
        ipn_attempts: 1,
        ipn_last_response: expect.stringContaining('"00"'),
      });
    });

    it('a decided transaction keeps its first outcome; deciding again re-sends the same IPN (a duplicate)', async () => {
      const input = await openedPayment();
      const first = await complete(input.txnRef, { outcome: 'pay' }).expect(200);
      merchant.script(input.txnRef, '02');
      const again = await complete(input.txnRef, { outcome: 'cancel' }).expect(200);
      expect(again.body.ipnParams).toEqual(first.body.ipnParams);
      expect(again.body.returnUrl).toBe(first.body.returnUrl);
      expect(again.body.ipnResponse.RspCode).toBe('02');
      expect(merchant.callsFor(input.txnRef)).toHaveLength(2);
      expect((await row(input.txnRef)).status).toBe('paid');
      // Racing decisions: one outcome wins for all.
      const racing = await openedPayment();
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          complete(racing.txnRef, { outcome: i % 2 ? 'pay' : 'cancel', ipn: 'skip' }).expect(200),
        ),
      );
      expect(new Set(answers.map((a) => a.body.ipnParams.vnp_SecureHash)).size).toBe(1);
    });

    it('retries until the merchant answers 00 or 02, on the schedule, counting the attempts', async () => {
      const input = await openedPayment();
      merchant.script(input.txnRef, '99', 'http500', 'garbage', '00');
      const res = await complete(input.txnRef, { outcome: 'pay' }).expect(200);
      expect(res.body.ipnResponse).toEqual({ RspCode: '99', Message: 'answer 99' });
      const calls = await waitFor(
        () => merchant.callsFor(input.txnRef),
        (c) => c.length >= 4,
      );
      expect(calls).toHaveLength(4);
      for (const c of calls) expect(c.query).toEqual(res.body.ipnParams); // the same signed message every time
      for (let i = 1; i < calls.length; i++)
        expect(calls[i].at - calls[i - 1].at).toBeGreaterThanOrEqual(RETRY_DELAYS[i - 1] - 5);
      await sleep(400);
      expect(merchant.callsFor(input.txnRef)).toHaveLength(4);
      expect(await row(input.txnRef)).toMatchObject({
        ipn_attempts: 4,
        ipn_last_response: expect.stringContaining('"00"'),
      });
    });

    it('gives up after 5 tries when the merchant never acknowledges', async () => {
      const input = await openedPayment();
      merchant.script(input.txnRef, '97');
      await complete(input.txnRef, { outcome: 'pay' }).expect(200);
      await waitFor(
        () => merchant.callsFor(input.txnRef),
        (c) => c.length >= 5,
      );
      await sleep(500);
      expect(merchant.callsFor(input.txnRef)).toHaveLength(5);
      expect(await row(input.txnRef)).toMatchObject({ ipn_attempts: 5 });
    });

    it('cancel: response code 24, transaction status 02, no transaction number', async () => {
      const input = await openedPayment();
      const res = await complete(input.txnRef, { outcome: 'cancel' }).expect(200);
      const [call] = merchant.callsFor(input.txnRef);
      expect(verifyParams(call.query, SECRET)).toBe(true);
      expect(call.query).toMatchObject({
        vnp_ResponseCode: '24',
        vnp_TransactionStatus: '02',
        vnp_TransactionNo: '0',
        vnp_Amount: '7000000',
      });
      expect(call.query.vnp_BankTranNo).toBeUndefined();
      expect(res.body.ipnParams).toEqual(call.query);
      expect(await row(input.txnRef)).toMatchObject({ status: 'cancelled', transaction_no: null });
    });

    it("ipn 'skip' sends nothing (a lost IPN) but still gives the signed parameters", async () => {
      const input = await openedPayment();
      const res = await complete(input.txnRef, { outcome: 'pay', ipn: 'skip' }).expect(200);
      expect(res.body.ipnResponse).toBeUndefined();
      expect(verifyParams(res.body.ipnParams, SECRET)).toBe(true);
      await sleep(150);
      expect(merchant.callsFor(input.txnRef)).toHaveLength(0);
      expect(await row(input.txnRef)).toMatchObject({ status: 'paid', ipn_attempts: 0 });
    });

    it("the page's button pays, sends the IPN and redirects the browser to the signed return URL", async () => {
      const input = await openedPayment();
      const res = await http().get(`/api/v1/sandbox/vnpay/pay/${input.txnRef}/decide?outcome=pay`).expect(302);
      const back = new URL(res.headers.location);
      expect(`${back.origin}${back.pathname}`).toBe(RETURN_URL);
      const params = Object.fromEntries(back.searchParams);
      expect(verifyParams(params, SECRET)).toBe(true);
      expect(params).toMatchObject({ vnp_ResponseCode: '00', vnp_TransactionStatus: '00', vnp_TxnRef: input.txnRef });
      expect(merchant.callsFor(input.txnRef).map((c) => c.query)).toEqual([params]);
      // The page of a decided transaction offers the way back instead of the buttons.
      const page = await openPayment(input).expect(200);
      expect(page.text).not.toContain('value="pay"');
      expect(page.text).toContain(RETURN_URL);
    });

    it('answers 404 for an unknown transaction and 400 for a bad body', async () => {
      const missing = await complete('NOSUCHTXN', { outcome: 'pay' }).expect(404);
      expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
      await http().get('/api/v1/sandbox/vnpay/pay/NOSUCHTXN/decide?outcome=pay').expect(404);
      const input = await openedPayment();
      await complete(input.txnRef, { outcome: 'refund' }).expect(400);
      await complete(input.txnRef, { outcome: 'pay', extra: 1 }).expect(400);
      await http().get(`/api/v1/sandbox/vnpay/pay/${input.txnRef}/decide?outcome=maybe`).expect(400);
      expect((await row(input.txnRef)).status).toBe('pending');
    });
  });

  describe('querydr', () => {
    it('answers paid, pending and cancelled transactions with a signed response', async () => {
      const paid = await openedPayment();
      const done = await complete(paid.txnRef, { outcome: 'pay', ipn: 'skip' }).expect(200);
      const res = await queryDr(paid).expect(200);
      expect(verifyQueryDrResponse(res.body, SECRET)).toBe(true);
      expect(res.body).toMatchObject({
        vnp_Command: 'querydr',
        vnp_ResponseCode: '00',
        vnp_TransactionStatus: '00',
        vnp_TransactionType: '01',
        vnp_TmnCode: TMN,
        vnp_TxnRef: paid.txnRef,
        vnp_Amount: '7000000',
        vnp_BankCode: 'NCB',
        vnp_OrderInfo: paid.orderInfo,
        vnp_TransactionNo: done.body.ipnParams.vnp_TransactionNo,
        vnp_PayDate: done.body.ipnParams.vnp_PayDate,
      });
      expect(res.body.vnp_ResponseId).toMatch(/^[0-9a-f]{32}$/);
      expect(verifyQueryDrResponse({ ...res.body, vnp_Amount: '100' }, SECRET)).toBe(false);

      const pending = await openedPayment();
      const p = await queryDr(pending).expect(200);
      expect(verifyQueryDrResponse(p.body, SECRET)).toBe(true);
      expect(p.body).toMatchObject({ vnp_ResponseCode: '00', vnp_TransactionStatus: '01', vnp_Amount: '7000000' });
      expect(p.body.vnp_TransactionNo).toBeUndefined();

      const cancelled = await openedPayment();
      await complete(cancelled.txnRef, { outcome: 'cancel', ipn: 'skip' }).expect(200);
      const c = await queryDr(cancelled).expect(200);
      expect(verifyQueryDrResponse(c.body, SECRET)).toBe(true);
      expect(c.body).toMatchObject({ vnp_ResponseCode: '00', vnp_TransactionStatus: '02' });
    });

    it('answers 91 for an unknown transaction or another transaction date, signed', async () => {
      const unknown = await queryDr(paymentInput()).expect(200);
      expect(unknown.body).toMatchObject({ vnp_ResponseCode: '91' });
      expect(verifyQueryDrResponse(unknown.body, SECRET)).toBe(true);
      const input = await openedPayment();
      const otherDate = await queryDr(input, {
        transactionDate: new Date(input.createDate.getTime() - 86_400_000),
      }).expect(200);
      expect(otherDate.body.vnp_ResponseCode).toBe('91');
    });

    it('answers 97 to a bad checksum, 02 to another merchant, 03 to a malformed and 94 to a repeated request id', async () => {
      const input = await openedPayment();
      const forged = await queryDr(input, {}, 'forged-secret-forged-secret-000').expect(200);
      expect(forged.body).toMatchObject({ vnp_ResponseCode: '97', vnp_Message: 'Invalid checksum' });
      expect(forged.body.vnp_SecureHash).toBeUndefined();
      const tampered = buildQueryDr(
        {
          requestId: `Q${newTxnRef()}`,
          tmnCode: TMN,
          txnRef: input.txnRef,
          transactionDate: input.createDate,
          createDate: new Date(),
          ipAddr: '127.0.0.1',
          orderInfo: 'q',
        },
        SECRET,
      );
      const t = await http()
        .post('/api/v1/sandbox/vnpay/api/transaction')
        .send({ ...tampered, vnp_TxnRef: 'OTHER1' })
        .expect(200);
      expect(t.body.vnp_ResponseCode).toBe('97');

      expect((await queryDr(input, { tmnCode: 'OTHER001' }).expect(200)).body.vnp_ResponseCode).toBe('02');
      expect((await queryDr(input, { requestId: 'not-alnum-uuid' }).expect(200)).body.vnp_ResponseCode).toBe('03');
      const requestId = `Q${newTxnRef()}`;
      expect((await queryDr(input, { requestId }).expect(200)).body.vnp_ResponseCode).toBe('00');
      expect((await queryDr(input, { requestId }).expect(200)).body.vnp_ResponseCode).toBe('94');
      // Unknown fields or commands are a 400 problem.
      await http()
        .post('/api/v1/sandbox/vnpay/api/transaction')
        .send({ ...tampered, vnp_Foo: 'x' })
        .expect(400);
      await http()
        .post('/api/v1/sandbox/vnpay/api/transaction')
        .send({ ...tampered, vnp_Command: 'pay' })
        .expect(400);
    });
  });

  describe('refund', () => {
    it('refunds a paid transaction once (00), then 94; querydr then shows it refunded', async () => {
      const input = await openedPayment();
      const done = await complete(input.txnRef, { outcome: 'pay', ipn: 'skip' }).expect(200);
      const first = await refund(input).expect(200);
      expect(verifyRefundResponse(first.body, SECRET)).toBe(true);
      expect(first.body).toMatchObject({
        vnp_Command: 'refund',
        vnp_ResponseCode: '00',
        vnp_TxnRef: input.txnRef,
        vnp_Amount: '7000000',
        vnp_TransactionType: '02',
        vnp_TransactionNo: done.body.ipnParams.vnp_TransactionNo,
      });
      const second = await refund(input).expect(200);
      expect(verifyRefundResponse(second.body, SECRET)).toBe(true);
      expect(second.body.vnp_ResponseCode).toBe('94');
      expect((await row(input.txnRef)).status).toBe('refunded');
      const q = await queryDr(input).expect(200);
      expect(verifyQueryDrResponse(q.body, SECRET)).toBe(true);
      expect(q.body).toMatchObject({ vnp_ResponseCode: '00', vnp_TransactionStatus: '05', vnp_TransactionType: '02' });
    });

    it('refuses a refund of an unpaid (95), unknown (91) or over-paid amount (03), and a bad checksum (97)', async () => {
      const cancelled = await openedPayment();
      await complete(cancelled.txnRef, { outcome: 'cancel', ipn: 'skip' }).expect(200);
      expect((await refund(cancelled).expect(200)).body.vnp_ResponseCode).toBe('95');
      const pending = await openedPayment();
      expect((await refund(pending).expect(200)).body.vnp_ResponseCode).toBe('95');
      expect((await refund(paymentInput()).expect(200)).body.vnp_ResponseCode).toBe('91');

      const paid = await openedPayment();
      await complete(paid.txnRef, { outcome: 'pay', ipn: 'skip' }).expect(200);
      expect((await refund(paid, { transactionType: '03', amountVnd: 80000 }).expect(200)).body.vnp_ResponseCode).toBe(
        '03',
      );
      expect((await refund(paid, { transactionType: '02', amountVnd: 10000 }).expect(200)).body.vnp_ResponseCode).toBe(
        '03',
      );
      expect((await refund(paid, { transactionNo: '999' }).expect(200)).body.vnp_ResponseCode).toBe('91');
      const body = buildRefund(
        {
          requestId: `R${newTxnRef()}`,
          tmnCode: TMN,
          transactionType: '02',
          txnRef: paid.txnRef,
          amountVnd: 70000,
          transactionDate: paid.createDate,
          createBy: 'x',
          createDate: new Date(),
          ipAddr: '127.0.0.1',
          orderInfo: 'r',
        },
        SECRET,
      );
      const forged = await http()
        .post('/api/v1/sandbox/vnpay/api/transaction')
        .send({ ...body, vnp_Amount: '100' })
        .expect(200);
      expect(forged.body.vnp_ResponseCode).toBe('97');
      expect((await row(paid.txnRef)).status).toBe('paid');
      // A partial refund is accepted.
      const partial = await refund(paid, { transactionType: '03', amountVnd: 20000 }).expect(200);
      expect(partial.body).toMatchObject({ vnp_ResponseCode: '00', vnp_Amount: '2000000', vnp_TransactionType: '03' });
    });
  });

  it('cancels scheduled IPN retries on shutdown', async () => {
    const input = await openedPayment();
    merchant.script(input.txnRef, '99');
    await complete(input.txnRef, { outcome: 'pay' }).expect(200);
    const sender = s.app.get(SandboxIpnSender);
    expect(sender.pendingChains).toBeGreaterThan(0);
    await s.app.close();
    closed = true;
    expect(sender.pendingChains).toBe(0);
    const before = merchant.callsFor(input.txnRef).length;
    await sleep(RETRY_DELAYS.reduce((a, b) => a + b, 0) + 200);
    expect(merchant.callsFor(input.txnRef)).toHaveLength(before);
  });
});

describe('VNPay sandbox gateway switched off', () => {
  it("answers 404 on every route when SANDBOX_ENABLED is 'false'", async () => {
    const database = await createSuiteDatabase();
    const s = await bootSandbox({
      DATABASE_URL: database.url,
      VNPAY_HASH_SECRET: SECRET,
      VNPAY_TMN_CODE: TMN,
      SANDBOX_ENABLED: 'false',
    });
    try {
      const http = checkedRequest(s.app, s.url);
      const page = await http.get('/api/v1/sandbox/vnpay/pay?vnp_TxnRef=X').expect(404);
      expect(page.headers['content-type']).toMatch(/application\/problem\+json/);
      await http.post('/api/v1/sandbox/vnpay/api/transaction').send({ vnp_Command: 'querydr' }).expect(404);
      await http.post('/api/v1/sandbox/vnpay/transactions/X/complete').send({ outcome: 'pay' }).expect(404);
    } finally {
      await s.app.close();
      await dropDatabase(database.name);
    }
  });
});
