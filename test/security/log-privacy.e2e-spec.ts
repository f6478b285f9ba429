import { randomInt, randomUUID } from 'node:crypto';
import * as logging from '../../src/common/logging';
import { createTestApp, TestApp } from '../support/app';
import { API } from './support';

/**
 * The real log output (pino, with the portal's own options, written to a
 * stream this test reads) never shows an ID number, a phone number, a
 * password or its hash, or a token: not through a percent-encoded query
 * parameter, a failed sign-in, a registration conflict, nor a database error
 * whose parameters and detail carry the row.
 */
describe('privacy in logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  const realLoggerParams = logging.loggerParams;

  beforeAll(async () => {
    // Only the destination changes: the level, redaction, serializers and hooks are the portal's.
    jest
      .spyOn(logging, 'loggerParams')
      .mockImplementation((level) => realLoggerParams(level, { write: (s: string) => void lines.push(s) }));
    t = await createTestApp({ env: { LOG_LEVEL: 'debug' } });
  });
  afterAll(async () => {
    await t?.close();
    jest.restoreAllMocks();
  });

  const logged = () => lines.join('');
  /** Waits until a log line matching `probe` was written (pino-http logs a request when its response finishes). */
  async function lineWith(probe: (entry: Record<string, any>) => boolean): Promise<Record<string, any>> {
    for (let i = 0; i < 100; i++) {
      const found = lines.map((l) => JSON.parse(l)).find(probe);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no such log line');
  }
  const person = () => ({
    email: `log-${randomUUID().slice(0, 8)}@example.vn`,
    idNumber: String(randomInt(10 ** 11, 10 ** 12 - 1)),
    phone: `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`,
    password: `Pw-${randomUUID()}`,
  });

  it('every line is valid JSON, and the log is not empty', async () => {
    await t.http.get(`${API}/procedures`).expect(200);
    await lineWith((e) => e.req?.url === `${API}/procedures`);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('query parameters are judged after decoding: ?id%4Eumber=, ?IDNUMBER=, ?phone=, a token, and an ID number under any name', async () => {
    const idNumber = String(randomInt(10 ** 11, 10 ** 12 - 1));
    const phone = `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`;
    const token = `tok-${randomUUID()}`;
    const urls = [
      `${API}/lookup?code=000.00.12.H56-260101-0001&id%4Eumber=${idNumber}`,
      `${API}/lookup?code=000.00.12.H56-260101-0002&%69%64%4E%75%6D%62%65%72=${idNumber}`,
      `${API}/lookup?code=000.00.12.H56-260101-0003&IDNUMBER=${idNumber}&phone=${phone}`,
      `${API}/results/download?token=${token}`,
      `${API}/procedures?q=${idNumber}&contact=%2B84${phone.slice(1)}`,
    ];
    for (const url of urls) await t.http.get(url);
    const entry = await lineWith((e) => typeof e.req?.url === 'string' && e.req.url.includes('260101-0001'));
    expect(entry.req.url).toBe(`${API}/lookup?code=000.00.12.H56-260101-0001&idNumber=[redacted]`);
    await lineWith((e) => typeof e.req?.url === 'string' && e.req.url.startsWith(`${API}/procedures?q=`));
    for (const secret of [idNumber, phone, phone.slice(1), token]) expect(logged()).not.toContain(secret);
  });

  it('a failed sign-in, a registration and a registration conflict log neither the password, its hash, the ID number nor the phone', async () => {
    const p = person();
    await t.http
      .post(`${API}/auth/register`)
      .send({ ...p, fullName: 'Lê Thị Hoa', locale: 'vi' })
      .expect(201);
    const conflict = await t.http.post(`${API}/auth/register`).send({ ...p, fullName: 'Lê Thị Hoa', locale: 'vi' });
    expect(conflict.status).toBe(409);
    const wrong = `Wrong-${randomUUID()}`;
    expect((await t.http.post(`${API}/auth/login`).send({ email: p.email, password: wrong })).status).toBe(401);
    expect((await t.http.post(`${API}/auth/login`).send({ email: p.phone, password: wrong })).status).toBe(401);
    const ok = await t.http.post(`${API}/auth/login`).send({ email: p.email, password: p.password }).expect(200);
    await t.http.get(`${API}/applications`).set('Authorization', `Bearer ${ok.body.accessToken}`);
    await lineWith((e) => e.req?.url === `${API}/applications`);
    const [{ password_hash: hash }] = await t.db.query(`SELECT password_hash FROM accounts WHERE email = $1`, [
      p.email,
    ]);
    for (const secret of [
      p.password,
      wrong,
      hash,
      hash.split('$').pop(),
      p.idNumber,
      p.phone,
      ok.body.accessToken,
      ok.body.refreshToken,
    ]) {
      expect(logged()).not.toContain(secret);
    }
  });

  it('a forged callback is logged in one warning line, without the address or the message', async () => {
    const phone = `09${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`;
    const before = lines.length;
    const res = await t.http
      .get(`${API}/payments/vnpay/ipn`)
      .query({ vnp_TxnRef: 'FORGED1', vnp_OrderInfo: `call ${phone}`, vnp_SecureHash: 'ab'.repeat(64) });
    expect(res.body).toEqual({ RspCode: '97', Message: 'Invalid signature' });
    await lineWith((e) => e.req?.url?.startsWith(`${API}/payments/vnpay/ipn`));
    const warnings = lines
      .slice(before)
      .map((l) => JSON.parse(l))
      .filter((e) => e.msg === 'callback with a bad signature refused (not stored)');
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        channel: 'vnpay-ipn',
        client: expect.stringMatching(/^[0-9a-f]{16}$/),
        failures: 1,
      }),
    ]);
    expect(lines.slice(before).join('')).not.toMatch(/127\.0\.0\.1|FORGED1/);
    expect(logged()).not.toContain(phone);
  });

  it('a database error carrying the row (parameters, message, detail, hint) is logged without any of it', async () => {
    // A fault planted in the suite's own database: inserting an account fails with the row's values in the error.
    await t.db.query(`
      CREATE FUNCTION log_privacy_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.email LIKE 'fault-%' THEN
          RAISE EXCEPTION 'forced failure for % / %', NEW.id_number, NEW.phone
            USING DETAIL = format('Failing row contains (%s, %s, %s)', NEW.id_number, NEW.phone, NEW.password_hash),
                  HINT = NEW.password_hash, ERRCODE = 'XX000';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER log_privacy_fault BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION log_privacy_fault();`);
    try {
      const p = { ...person(), email: `fault-${randomUUID().slice(0, 8)}@example.vn` };
      const res = await t.http.post(`${API}/auth/register`).send({ ...p, fullName: 'Lê Thị Hoa', locale: 'vi' });
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toContain(p.idNumber);
      // The fault is in the log, under the answer's correlation id, with what an operator needs ...
      const entry = await lineWith((e) => e.correlationId === res.body.correlationId && e.err);
      expect(entry.err).toMatchObject({ type: 'QueryFailedError', code: 'XX000', parameters: '[redacted]' });
      expect(entry.err.query).toMatch(/INSERT INTO accounts/);
      // ... and none of the row: not the ID number, the phone, the hash (from the parameters, message, detail or hint).
      for (const secret of [p.idNumber, p.phone, p.password, '$argon2', p.email.slice(6)])
        expect(JSON.stringify(entry)).not.toContain(secret);
      for (const secret of [p.idNumber, p.phone, p.password, '$argon2']) expect(logged()).not.toContain(secret);
    } finally {
      await t.db.query(`DROP TRIGGER log_privacy_fault ON accounts; DROP FUNCTION log_privacy_fault();`);
    }
  });
});
