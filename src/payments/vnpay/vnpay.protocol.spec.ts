import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createHmac } from 'node:crypto';
import {
  buildPaymentParams,
  buildPaymentUrl,
  buildQueryDr,
  buildRefund,
  canonicalQuery,
  formatVnpDate,
  formEncode,
  IPN_RESPONSES,
  isSuccess,
  parseCallback,
  parseVnpDate,
  pipeSignData,
  QUERYDR_REQUEST_FIELDS,
  QUERYDR_RESPONSE_FIELDS,
  REFUND_REQUEST_FIELDS,
  REFUND_RESPONSE_FIELDS,
  signParams,
  signQueryDrResponse,
  signRefundResponse,
  toVnpAmount,
  verifyParams,
  verifyQueryDrRequest,
  verifyQueryDrResponse,
  verifyRefundRequest,
  verifyRefundResponse,
} from './vnpay.protocol';

interface Vector {
  name: string;
  params: Record<string, string>;
  canonical: string;
  vnp_SecureHash: string;
}
interface VectorFile {
  secret: string;
  tmnCode: string;
  vectors: Vector[];
}

const SHARED = path.resolve(__dirname, '../../../../shared/vectors/vnpay-2.1.0.json');
const LOCAL = path.resolve(__dirname, 'vnpay-vectors.json');
const file: VectorFile = JSON.parse(readFileSync(existsSync(SHARED) ? SHARED : LOCAL, 'utf8'));
const SECRET = file.secret;

const isPipeVector = (v: Vector) => v.params.vnp_Command === 'querydr';
const queryVectors = file.vectors.filter((v) => !isPipeVector(v));
const queryDrVector = file.vectors.find(isPipeVector)!;
const ipnSuccess = file.vectors.find((v) => v.params.vnp_ResponseCode === '00')!;
const ipnCancel = file.vectors.find((v) => v.params.vnp_ResponseCode === '24')!;

describe('vectors file', () => {
  it('has the expected vectors', () => {
    expect(queryVectors).toHaveLength(4);
    expect(queryDrVector).toBeDefined();
    expect(ipnSuccess).toBeDefined();
    expect(ipnCancel).toBeDefined();
  });

  (existsSync(SHARED) ? it : it.skip)('local copy matches the shared vectors', () => {
    expect(JSON.parse(readFileSync(LOCAL, 'utf8'))).toEqual(JSON.parse(readFileSync(SHARED, 'utf8')));
  });
});

describe('canonical query and HMAC-SHA512 (vectors)', () => {
  describe.each(queryVectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    it('canonical string', () => {
      expect(canonicalQuery(v.params)).toBe(v.canonical);
    });
    it('hash', () => {
      expect(signParams(v.params, SECRET)).toBe(v.vnp_SecureHash);
      // the vector's hash really is HMAC-SHA512 of its canonical string
      expect(createHmac('sha512', SECRET).update(v.canonical, 'utf8').digest('hex')).toBe(v.vnp_SecureHash);
    });
    it('verifies', () => {
      expect(verifyParams({ ...v.params, vnp_SecureHash: v.vnp_SecureHash }, SECRET)).toBe(true);
      expect(verifyParams({ ...v.params, vnp_SecureHash: v.vnp_SecureHash.toUpperCase() }, SECRET)).toBe(true);
      expect(
        verifyParams({ ...v.params, vnp_SecureHash: v.vnp_SecureHash, vnp_SecureHashType: 'HmacSHA512' }, SECRET),
      ).toBe(true);
    });
  });

  it('IPN vectors carry the same hash in their params', () => {
    expect(ipnSuccess.params.vnp_SecureHash).toBe(ipnSuccess.vnp_SecureHash);
    expect(ipnCancel.params.vnp_SecureHash).toBe(ipnCancel.vnp_SecureHash);
  });
});

describe('canonicalQuery', () => {
  it('drops empty, undefined and null values and both hash keys; sorts keys; stringifies numbers', () => {
    expect(
      canonicalQuery({
        vnp_b: 'x y',
        vnp_a: 100,
        vnp_empty: '',
        vnp_undef: undefined,
        vnp_null: null,
        vnp_SecureHash: 'abc',
        vnp_SecureHashType: 'HmacSHA512',
      }),
    ).toBe('vnp_a=100&vnp_b=x+y');
  });

  it('encodes exactly as URLSearchParams', () => {
    const samples = [
      "!'()*~-._ /?#[]@$&+,;=%",
      'Thanh toán lệ phí hồ sơ: (2 bản sao)',
      'line\nbreak\ttab',
      'emoji 🧾 and lone \ud800 surrogate',
      'ĐƯỜNG Nguyễn Huệ, Q.1 — TP.HCM',
    ];
    for (const s of samples) {
      expect(formEncode(s)).toBe(new URLSearchParams([['k', s]]).toString().slice(2));
    }
  });

  it('rejects non-scalar values', () => {
    expect(() => canonicalQuery({ vnp_a: ['1', '2'] as unknown as string })).toThrow(TypeError);
    expect(() => canonicalQuery({ vnp_a: Number.NaN })).toThrow(TypeError);
  });
});

describe('verifyParams', () => {
  const signed = { ...ipnSuccess.params };

  it('fails on a tampered amount', () => {
    expect(verifyParams({ ...signed, vnp_Amount: '70000000' }, SECRET)).toBe(false);
    expect(verifyParams({ ...signed, vnp_Amount: '100' }, SECRET)).toBe(false);
  });

  it('fails with a wrong secret', () => {
    expect(verifyParams(signed, 'WRONGSECRETWRONGSECRETWRONGSECRE')).toBe(false);
  });

  it('fails on tampered status or an added parameter', () => {
    expect(verifyParams({ ...ipnCancel.params, vnp_ResponseCode: '00', vnp_TransactionStatus: '00' }, SECRET)).toBe(
      false,
    );
    expect(verifyParams({ ...signed, extra: '1' }, SECRET)).toBe(false);
  });

  it('still verifies when an empty parameter is added (empty values are not signed)', () => {
    expect(verifyParams({ ...signed, vnp_BankTranNo: signed.vnp_BankTranNo, vnp_Extra: '' }, SECRET)).toBe(true);
  });

  it('rejects array-valued and object-valued parameters', () => {
    expect(verifyParams({ ...signed, vnp_Amount: ['7000000', '7000000'] }, SECRET)).toBe(false);
    expect(verifyParams({ ...signed, vnp_SecureHash: [signed.vnp_SecureHash] }, SECRET)).toBe(false);
    expect(verifyParams({ ...signed, vnp_SecureHashType: ['a', 'b'] }, SECRET)).toBe(false);
    expect(verifyParams({ ...signed, vnp_OrderInfo: { a: 1 } }, SECRET)).toBe(false);
  });

  it('is false when the hash is missing or malformed', () => {
    const { vnp_SecureHash, ...unsigned } = signed;
    expect(verifyParams(unsigned, SECRET)).toBe(false);
    expect(verifyParams({ ...unsigned, vnp_SecureHash: '' }, SECRET)).toBe(false);
    expect(verifyParams({ ...unsigned, vnp_SecureHash: vnp_SecureHash.slice(0, 127) }, SECRET)).toBe(false);
    expect(verifyParams({ ...unsigned, vnp_SecureHash: vnp_SecureHash + '0' }, SECRET)).toBe(false);
    expect(verifyParams({ ...unsigned, vnp_SecureHash: 'z' + vnp_SecureHash.slice(1) }, SECRET)).toBe(false);
    expect(verifyParams({ ...unsigned, vnp_SecureHash: ' ' + vnp_SecureHash.slice(1) }, SECRET)).toBe(false);
  });

  it('throws when the secret is not configured', () => {
    expect(() => verifyParams(signed, '')).toThrow();
    expect(() => signParams(signed, '')).toThrow();
  });
});

describe('dates (GMT+7)', () => {
  it('formats across the day boundary', () => {
    expect(formatVnpDate(new Date('2026-11-22T17:30:00Z'))).toBe('20261123003000');
    expect(formatVnpDate(new Date('2026-12-31T16:59:59Z'))).toBe('20261231235959');
    expect(formatVnpDate(new Date('2026-12-31T17:00:00Z'))).toBe('20270101000000');
  });

  it('parses back to the same instant', () => {
    expect(parseVnpDate('20261123003000').toISOString()).toBe('2026-11-22T17:30:00.000Z');
    expect(parseVnpDate('20261123093000').toISOString()).toBe('2026-11-23T02:30:00.000Z');
    const d = new Date('2028-02-29T01:02:03Z');
    expect(parseVnpDate(formatVnpDate(d)).getTime()).toBe(d.getTime());
  });

  it('does not depend on the process time zone', () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(formatVnpDate(new Date('2026-11-22T17:30:00Z'))).toBe('20261123003000');
      expect(parseVnpDate('20261123003000').toISOString()).toBe('2026-11-22T17:30:00.000Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('rejects malformed dates', () => {
    for (const s of [
      '',
      '2026112300300',
      '202611230030000',
      '20261323000000',
      '20260230000000',
      '20261123246000',
      '2026-11-23 00:30',
    ]) {
      expect(() => parseVnpDate(s)).toThrow(RangeError);
    }
    expect(() => formatVnpDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('amounts', () => {
  it('multiplies by 100', () => {
    expect(toVnpAmount(70000)).toBe('7000000');
    expect(toVnpAmount(1)).toBe('100');
    expect(toVnpAmount(9_999_999_999)).toBe('999999999900');
  });

  it('rejects non-integer, non-positive and oversized amounts', () => {
    for (const a of [
      0,
      -1,
      1.5,
      70000.01,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      10_000_000_000,
      '70000' as unknown as number,
    ]) {
      expect(() => toVnpAmount(a)).toThrow(RangeError);
    }
  });
});

describe('buildPaymentUrl', () => {
  const PAY_URL = 'https://sandbox.vnpayment.vn/paymentv2/vpcpay.html';
  const v1 = queryVectors[0];
  const v2 = queryVectors[1];
  const inputFor = (v: Vector) => ({
    tmnCode: v.params.vnp_TmnCode,
    amountVnd: Number(v.params.vnp_Amount) / 100,
    txnRef: v.params.vnp_TxnRef,
    orderInfo: v.params.vnp_OrderInfo,
    ipAddr: v.params.vnp_IpAddr,
    returnUrl: v.params.vnp_ReturnUrl,
    createDate: parseVnpDate(v.params.vnp_CreateDate),
    expireDate: parseVnpDate(v.params.vnp_ExpireDate),
    locale: 'vn' as const,
    bankCode: v.params.vnp_BankCode,
  });

  it.each([
    ['plain', v1],
    ['Vietnamese text', v2],
  ])('reproduces the %s payment vector', (_n, v) => {
    const url = buildPaymentUrl(PAY_URL, inputFor(v), SECRET);
    expect(url).toBe(`${PAY_URL}?${v.canonical}&vnp_SecureHash=${v.vnp_SecureHash}`);
    const parsed = Object.fromEntries(new URL(url).searchParams);
    expect(parsed.vnp_OrderInfo).toBe(v.params.vnp_OrderInfo);
    expect(verifyParams(parsed, SECRET)).toBe(true);
  });

  it('puts amount x100 and GMT+7 dates; defaults locale and order type', () => {
    const p = buildPaymentParams({
      tmnCode: 'DEMO0001',
      amountVnd: 25000,
      txnRef: 'T1',
      orderInfo: 'Le phi',
      ipAddr: '10.0.0.1',
      returnUrl: 'http://localhost/return',
      createDate: new Date('2026-11-22T17:30:00Z'),
      expireDate: new Date('2026-11-22T17:45:00Z'),
    });
    expect(p).toMatchObject({
      vnp_Amount: '2500000',
      vnp_CreateDate: '20261123003000',
      vnp_ExpireDate: '20261123004500',
      vnp_Locale: 'vn',
      vnp_OrderType: 'other',
      vnp_CurrCode: 'VND',
      vnp_Version: '2.1.0',
      vnp_Command: 'pay',
    });
    expect(p).not.toHaveProperty('vnp_BankCode');
  });

  it('rejects bad amounts and inputs', () => {
    const base = inputFor(v1);
    for (const amountVnd of [0, -5, 700.5, Number.NaN]) {
      expect(() => buildPaymentUrl(PAY_URL, { ...base, amountVnd }, SECRET)).toThrow(RangeError);
    }
    expect(() => buildPaymentUrl(PAY_URL, { ...base, txnRef: '' }, SECRET)).toThrow();
    expect(() => buildPaymentUrl(PAY_URL, { ...base, expireDate: base.createDate }, SECRET)).toThrow();
    expect(() => buildPaymentUrl(PAY_URL, { ...base, locale: 'fr' as 'vn' }, SECRET)).toThrow();
    expect(() => buildPaymentUrl(`${PAY_URL}?a=1`, base, SECRET)).toThrow();
    expect(() => buildPaymentUrl('not a url', base, SECRET)).toThrow();
  });
});

describe('parseCallback / isSuccess', () => {
  it('reads the success IPN', () => {
    const cb = parseCallback(ipnSuccess.params)!;
    expect(cb).toMatchObject({
      txnRef: 'H56261123000101',
      tmnCode: 'DEMO0001',
      amountRaw: '7000000',
      amountVnd: 70000,
      responseCode: '00',
      transactionStatus: '00',
      transactionNo: '14712345',
      bankTranNo: 'VNP14712345',
      bankCode: 'NCB',
      cardType: 'ATM',
      payDate: '20261123093512',
    });
    expect(cb.paidAt!.toISOString()).toBe('2026-11-23T02:35:12.000Z');
    expect(isSuccess(cb)).toBe(true);
  });

  it('reads the cancelled IPN as not successful; empty values are undefined', () => {
    const cb = parseCallback(ipnCancel.params)!;
    expect(cb.responseCode).toBe('24');
    expect(cb.transactionStatus).toBe('02');
    expect(cb.transactionNo).toBe('0');
    expect(cb.bankTranNo).toBeUndefined();
    expect(isSuccess(cb)).toBe(false);
  });

  it('needs both codes 00', () => {
    expect(isSuccess({ responseCode: '00', transactionStatus: '01' })).toBe(false);
    expect(isSuccess({ responseCode: '07', transactionStatus: '00' })).toBe(false);
    expect(isSuccess({ responseCode: '00', transactionStatus: undefined })).toBe(false);
  });

  it('gives amountVnd null unless vnp_Amount is an integer divisible by 100', () => {
    for (const vnp_Amount of ['7000050', '70000.00', '-7000000', '7e6', ' 7000000', '0700000']) {
      const cb = parseCallback({ ...ipnSuccess.params, vnp_Amount })!;
      expect(cb.amountVnd).toBeNull();
      expect(cb.amountRaw).toBe(vnp_Amount);
    }
  });

  it('returns null when essentials are missing', () => {
    for (const k of ['vnp_TxnRef', 'vnp_Amount', 'vnp_ResponseCode', 'vnp_TmnCode']) {
      const q: Record<string, unknown> = { ...ipnSuccess.params };
      delete q[k];
      expect(parseCallback(q)).toBeNull();
      expect(parseCallback({ ...ipnSuccess.params, [k]: '' })).toBeNull();
    }
  });

  it('rejects array-valued (repeated) parameters and non-strings', () => {
    expect(parseCallback({ ...ipnSuccess.params, vnp_TxnRef: ['H56261123000101', 'X'] })).toBeNull();
    expect(parseCallback({ ...ipnSuccess.params, vnp_ResponseCode: ['00'] })).toBeNull();
    expect(parseCallback({ ...ipnSuccess.params, vnp_Amount: 7000000 })).toBeNull();
    expect(parseCallback({ ...ipnSuccess.params, vnp_BankCode: { x: 1 } })).toBeNull();
  });
});

describe('IPN_RESPONSES', () => {
  it('has the VNPay codes and messages and cannot be changed', () => {
    expect(IPN_RESPONSES).toEqual({
      ok: { RspCode: '00', Message: 'Confirm Success' },
      alreadyConfirmed: { RspCode: '02', Message: 'Order already confirmed' },
      orderNotFound: { RspCode: '01', Message: 'Order not found' },
      invalidAmount: { RspCode: '04', Message: 'Invalid amount' },
      invalidSignature: { RspCode: '97', Message: 'Invalid signature' },
      unknownError: { RspCode: '99', Message: 'Unknown error' },
    });
    expect(Object.isFrozen(IPN_RESPONSES)).toBe(true);
    expect(Object.isFrozen(IPN_RESPONSES.ok)).toBe(true);
  });
});

describe('querydr', () => {
  const p = queryDrVector.params;
  const input = {
    requestId: p.vnp_RequestId,
    tmnCode: p.vnp_TmnCode,
    txnRef: p.vnp_TxnRef,
    transactionDate: p.vnp_TransactionDate,
    createDate: parseVnpDate(p.vnp_CreateDate),
    ipAddr: p.vnp_IpAddr,
    orderInfo: p.vnp_OrderInfo,
  };

  it('vector: pipe-joined string and hash', () => {
    expect(pipeSignData(p, QUERYDR_REQUEST_FIELDS)).toBe(queryDrVector.canonical);
    expect(createHmac('sha512', SECRET).update(queryDrVector.canonical, 'utf8').digest('hex')).toBe(
      queryDrVector.vnp_SecureHash,
    );
  });

  it('buildQueryDr reproduces the vector body and hash', () => {
    const body = buildQueryDr(input, SECRET);
    expect(body).toEqual({ ...p, vnp_SecureHash: queryDrVector.vnp_SecureHash });
    // transactionDate as a Date gives the same result
    expect(buildQueryDr({ ...input, transactionDate: parseVnpDate(p.vnp_TransactionDate) }, SECRET)).toEqual(body);
    expect(verifyQueryDrRequest({ ...body }, SECRET)).toBe(true);
    expect(verifyQueryDrRequest({ ...body, vnp_TxnRef: 'H56261123000102' }, SECRET)).toBe(false);
    expect(verifyQueryDrRequest({ ...body, vnp_Command: 'refund' }, SECRET)).toBe(false);
  });

  it('rejects malformed input', () => {
    expect(() => buildQueryDr({ ...input, transactionDate: '2026-11-23' }, SECRET)).toThrow();
    expect(() => buildQueryDr({ ...input, orderInfo: 'a|b' }, SECRET)).toThrow();
    expect(() => buildQueryDr({ ...input, requestId: '' }, SECRET)).toThrow();
  });

  const response = {
    vnp_ResponseId: 'R261123093600001',
    vnp_Command: 'querydr',
    vnp_ResponseCode: '00',
    vnp_Message: 'QueryDR Success',
    vnp_TmnCode: 'DEMO0001',
    vnp_TxnRef: 'H56261123000101',
    vnp_Amount: '7000000',
    vnp_BankCode: 'NCB',
    vnp_PayDate: '20261123093512',
    vnp_TransactionNo: '14712345',
    vnp_TransactionType: '01',
    vnp_TransactionStatus: '00',
    vnp_OrderInfo: 'Thanh toan ho so 000.00.01.H56-261123-0001',
    vnp_PromotionCode: '',
    vnp_PromotionAmount: '',
  };

  it('response hash covers the documented fields in order', () => {
    expect(pipeSignData(response, QUERYDR_RESPONSE_FIELDS)).toBe(
      'R261123093600001|querydr|00|QueryDR Success|DEMO0001|H56261123000101|7000000|NCB|20261123093512|14712345|01|00|Thanh toan ho so 000.00.01.H56-261123-0001||',
    );
  });

  it('response sign / verify round trip', () => {
    const signed = { ...response, vnp_SecureHash: signQueryDrResponse(response, SECRET) };
    expect(verifyQueryDrResponse(signed, SECRET)).toBe(true);
    // numbers and absent promotion fields hash the same as their string forms
    const { vnp_PromotionCode: _code, vnp_PromotionAmount: _amount, ...noPromo } = signed;
    expect(verifyQueryDrResponse({ ...noPromo, vnp_Amount: 7000000 }, SECRET)).toBe(true);
    expect(verifyQueryDrResponse({ ...signed, vnp_Amount: '700000000' }, SECRET)).toBe(false);
    expect(verifyQueryDrResponse({ ...signed, vnp_TransactionStatus: '02' }, SECRET)).toBe(false);
    expect(verifyQueryDrResponse({ ...signed, vnp_Amount: ['7000000'] }, SECRET)).toBe(false);
    expect(verifyQueryDrResponse(signed, 'WRONGSECRETWRONGSECRETWRONGSECRE')).toBe(false);
    const { vnp_SecureHash: _hash, ...unsigned } = signed;
    expect(verifyQueryDrResponse(unsigned, SECRET)).toBe(false);
  });
});

describe('refund', () => {
  const input = {
    requestId: 'F261124100000001',
    tmnCode: 'DEMO0001',
    transactionType: '02' as const,
    txnRef: 'H56261123000101',
    amountVnd: 70000,
    transactionNo: '14712345',
    transactionDate: '20261123093000',
    createBy: 'officer01',
    createDate: new Date('2026-11-24T03:00:00Z'),
    ipAddr: '127.0.0.1',
    orderInfo: 'Hoan tien ho so H56261123000101',
  };

  it('request hash is over the documented pipe-joined fields', () => {
    const body = buildRefund(input, SECRET);
    const expectedData =
      'F261124100000001|2.1.0|refund|DEMO0001|02|H56261123000101|7000000|14712345|20261123093000|officer01|20261124100000|127.0.0.1|Hoan tien ho so H56261123000101';
    expect(pipeSignData(body, REFUND_REQUEST_FIELDS)).toBe(expectedData);
    expect(body.vnp_SecureHash).toBe(createHmac('sha512', SECRET).update(expectedData, 'utf8').digest('hex'));
    expect(body.vnp_Amount).toBe('7000000');
    expect(body.vnp_CreateDate).toBe('20261124100000');
  });

  it('request round trip and tamper detection', () => {
    const body = buildRefund(input, SECRET);
    expect(verifyRefundRequest({ ...body }, SECRET)).toBe(true);
    expect(verifyRefundRequest({ ...body, vnp_Amount: '70000000' }, SECRET)).toBe(false);
    expect(verifyRefundRequest({ ...body, vnp_TransactionType: '03' }, SECRET)).toBe(false);
    expect(verifyRefundRequest(body, 'WRONGSECRETWRONGSECRETWRONGSECRE')).toBe(false);
  });

  it("defaults vnp_TransactionNo to '0' and validates input", () => {
    const { transactionNo: _transactionNo, ...rest } = input;
    expect(buildRefund(rest, SECRET).vnp_TransactionNo).toBe('0');
    expect(() => buildRefund({ ...input, amountVnd: 1.5 }, SECRET)).toThrow(RangeError);
    expect(() => buildRefund({ ...input, amountVnd: 0 }, SECRET)).toThrow(RangeError);
    expect(() => buildRefund({ ...input, transactionType: '01' as '02' }, SECRET)).toThrow();
  });

  it('response sign / verify round trip', () => {
    const response = {
      vnp_ResponseId: 'R261124100000001',
      vnp_Command: 'refund',
      vnp_ResponseCode: '00',
      vnp_Message: 'Refund success',
      vnp_TmnCode: 'DEMO0001',
      vnp_TxnRef: 'H56261123000101',
      vnp_Amount: '7000000',
      vnp_BankCode: 'NCB',
      vnp_PayDate: '20261124100005',
      vnp_TransactionNo: '14799999',
      vnp_TransactionType: '02',
      vnp_TransactionStatus: '05',
      vnp_OrderInfo: 'Hoan tien ho so H56261123000101',
    };
    expect(pipeSignData(response, REFUND_RESPONSE_FIELDS).split('|')).toHaveLength(13);
    const signed = { ...response, vnp_SecureHash: signRefundResponse(response, SECRET) };
    expect(verifyRefundResponse(signed, SECRET)).toBe(true);
    expect(verifyRefundResponse({ ...signed, vnp_Amount: '1' }, SECRET)).toBe(false);
    // a querydr response signature is not accepted as a refund one
    expect(verifyRefundResponse({ ...signed, vnp_Command: 'querydr' }, SECRET)).toBe(false);
  });
});
