import { createServer, Server } from 'node:http';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import { EidSandbox } from '../src/sandbox/eid/eid-sandbox';
import { createTestApp, TestApp } from './support/app';
import { newCitizen, staff } from './support/factories';

jest.setTimeout(120_000);

/** A tiny browser over fetch: a cookie jar (one host), redirects followed by hand so each hop can be seen. */
class Browser {
  readonly jar = new Map<string, string>();
  constructor(private readonly base: string) {}

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (gone || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async request(url: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(url.startsWith('http') ? url : `${this.base}${url}`, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
        'accept-language': 'vi',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.remember(res);
    return res;
  }

  /** Follows redirects until `stop` matches the location (or a non-redirect answer). */
  async follow(res: Response, stop?: RegExp): Promise<Response> {
    while (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location')!;
      if (stop?.test(location)) return res;
      res = await this.request(new URL(location, res.url).toString());
    }
    return res;
  }
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];
const newIdNumber = () => `0790${String(randomInt(0, 10 ** 8)).padStart(8, '0')}`;

describe('national eID sign-in (OpenID Connect) against the sandbox provider', () => {
  let t: TestApp;
  let sandbox: EidSandbox;

  beforeAll(async () => {
    t = await createTestApp();
    sandbox = t.app.get(EidSandbox, { strict: false });
  });
  afterAll(() => t?.close());

  /** From /login/eid (or an authorization URL) to the provider's people page. */
  async function toPeoplePage(b: Browser, start = '/login/eid'): Promise<{ html: string; url: string }> {
    const res = await b.follow(await b.request(start));
    expect(res.status).toBe(200);
    expect(res.url).toContain('/sandbox/eid/interaction/');
    return { html: await res.text(), url: res.url };
  }

  /** Chooses a person at the provider; the answer of the portal's callback (not followed further). */
  async function choose(b: Browser, sub: string, start?: string): Promise<{ res: Response; callback: string }> {
    const page = await toPeoplePage(b, start);
    const chosen = await b.request(page.url, { _csrf: csrfOf(page.html), person: sub });
    const atCallback = await b.follow(chosen, /\/login\/eid\/callback/);
    const callback = new URL(atCallback.headers.get('location')!, atCallback.url).toString();
    return { res: await b.request(callback), callback };
  }

  const accountsWith = (idNumber: string) =>
    t.db.query<{ id: string; email: string | null; id_number_verified: boolean; full_name: string }[]>(
      `SELECT id, email, id_number_verified, full_name FROM accounts WHERE id_number = $1 ORDER BY created_at`,
      [idNumber],
    );

  it('makes a verified account for a new person, then signs the returning person in to the same account', async () => {
    const idNumber = newIdNumber();
    const person = sandbox.addPerson({ idNumber, fullName: 'Đỗ Thị Lan', birthdate: '1992-03-04', phone: null });
    const b = new Browser(t.url);
    const { res } = await choose(b, person.sub, '/login/eid?next=%2Faccount');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    const [account] = await accountsWith(idNumber);
    expect(account).toMatchObject({ email: null, id_number_verified: true, full_name: 'Đỗ Thị Lan' });
    const page = await b.request('/account');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Đỗ Thị Lan');

    // Returning, in another browser: the same account, nothing new.
    const again = new Browser(t.url);
    const second = await choose(again, person.sub);
    expect(second.res.headers.get('location')).toBe('/dossiers');
    expect(await accountsWith(idNumber)).toEqual([account]);
    expect((await again.request('/dossiers')).status).toBe(200);
  });

  it('refuses eID for a staff account with that verified ID number: staff keep their password and second factor', async () => {
    const clerk = await staff(t, 'clerk', 'quan1');
    const idNumber = newIdNumber();
    const [{ id: clerkId }] = await t.db.query<{ id: string }[]>(`SELECT id FROM accounts WHERE email = $1`, [
      clerk.email,
    ]);
    await t.db.query(`UPDATE accounts SET id_number = $2, id_number_verified = true WHERE id = $1`, [
      clerkId,
      idNumber,
    ]);
    const person = sandbox.addPerson({ idNumber, fullName: 'Cán bộ Thử', birthdate: '1985-01-01', phone: null });
    const b = new Browser(t.url);
    const { res } = await choose(b, person.sub);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Tài khoản cán bộ không đăng nhập bằng định danh điện tử');
    expect(b.jar.has('portal_session')).toBe(false);
    expect((await accountsWith(idNumber)).map((a) => a.id)).toEqual([clerkId]);
  });

  it('links a password account with the same unverified ID number once its password is proven', async () => {
    const citizen = await newCitizen(t);
    const person = sandbox.addPerson({
      idNumber: citizen.idNumber,
      fullName: 'Lê Thị Hoa',
      birthdate: '1980-01-01',
      phone: null,
    });
    const b = new Browser(t.url);
    const { res } = await choose(b, person.sub);
    expect(res.headers.get('location')).toBe('/login/eid/link');
    const form = await b.request('/login/eid/link');
    const html = await form.text();
    expect(html).toContain(citizen.email);

    const wrong = await b.request('/login/eid/link', { _csrf: csrfOf(html), password: 'not-the-password' });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('Mật khẩu không đúng');
    expect((await accountsWith(citizen.idNumber))[0].id_number_verified).toBe(false);

    const right = await b.request('/login/eid/link', { _csrf: csrfOf(html), password: 'Citizen-pass-1' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/dossiers');
    const accounts = await accountsWith(citizen.idNumber);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ id: citizen.id, id_number_verified: true });
    expect((await b.request('/account')).status).toBe(200);

    // A verified ID number belongs to one account: a later registration with it stays unverified, the eID
    // sign-in still reaches the verified account, and the database refuses a second verified one.
    const other = await newCitizen(t);
    await t.db.query(`UPDATE accounts SET id_number = $1 WHERE id = $2`, [citizen.idNumber, other.id]);
    const again = await choose(new Browser(t.url), person.sub);
    expect(again.res.headers.get('location')).toBe('/dossiers');
    const both = await accountsWith(citizen.idNumber);
    expect(both.map((a) => [a.id, a.id_number_verified])).toEqual([
      [citizen.id, true],
      [other.id, false],
    ]);
    await expect(t.db.query(`UPDATE accounts SET id_number_verified = true WHERE id = $1`, [other.id])).rejects.toThrow(
      /accounts_verified_id_number/,
    );
  });

  it('shows the citizen plain words when they cancel at the provider, and refuses a replayed state', async () => {
    const b = new Browser(t.url);
    const page = await toPeoplePage(b);
    const cancelled = await b.follow(
      await b.request(page.url, { _csrf: csrfOf(page.html), cancel: 'yes' }),
      /callback/,
    );
    const callback = new URL(cancelled.headers.get('location')!, cancelled.url).toString();
    expect(callback).toContain('error=access_denied');
    const res = await b.request(callback);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Bạn đã huỷ hoặc không đồng ý chia sẻ thông tin trên VNeID');

    const idNumber = newIdNumber();
    const person = sandbox.addPerson({ idNumber, fullName: 'Vũ Văn Nam', birthdate: '1970-07-07', phone: null });
    const ok = await choose(b, person.sub);
    expect(ok.res.status).toBe(303);
    const replay = await b.request(ok.callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('đã hết hạn hoặc đã được dùng');
  });

  it('follows a rotation of the provider signing keys (the JWKS fetched again for an unknown kid)', async () => {
    const first = sandbox.addPerson({
      idNumber: newIdNumber(),
      fullName: 'Hồ Văn Tư',
      birthdate: '1991-01-01',
      phone: null,
    });
    expect((await choose(new Browser(t.url), first.sub)).res.headers.get('location')).toBe('/dossiers');
    const kid = sandbox.rotateKeys();
    const jwks = (await (await fetch(`${t.url}/sandbox/eid/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    // openid-client fetches the JWKS again for an unknown kid at most once a minute: a minute passes.
    const now = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now() + 61_000);
    try {
      expect((await choose(new Browser(t.url), first.sub)).res.headers.get('location')).toBe('/dossiers');
    } finally {
      clock.mockRestore();
    }
  });

  it('hands a mobile sign-in over to the app with a one-time code traded for tokens', async () => {
    const start = await t.http.get('/api/v1/auth/eid/start').expect(200);
    expect(start.body.authorizationUrl).toContain('code_challenge_method=S256');
    const person = sandbox.addPerson({
      idNumber: newIdNumber(),
      fullName: 'Mai Thị Hạnh',
      birthdate: '1999-09-09',
      phone: null,
    });
    const b = new Browser(t.url);
    const { res } = await choose(b, person.sub, start.body.authorizationUrl);
    expect(res.status).toBe(200);
    const code = /data-handoff-code="([A-F0-9]+)"/.exec(await res.text())![1];
    expect(b.jar.has('portal_session')).toBe(false);

    await t.http.post('/api/v1/auth/eid/token').send({ flowId: start.body.flowId, code: 'WRONG' }).expect(401);
    // A wrong code spends the flow.
    await t.http.post('/api/v1/auth/eid/token').send({ flowId: start.body.flowId, code }).expect(401);

    const again = await t.http.get('/api/v1/auth/eid/start').expect(200);
    const second = await choose(new Browser(t.url), person.sub, again.body.authorizationUrl);
    const code2 = /data-handoff-code="([A-F0-9]+)"/.exec(await second.res.text())![1];
    const tokens = await t.http
      .post('/api/v1/auth/eid/token')
      .send({ flowId: again.body.flowId, code: code2 })
      .expect(200);
    expect(tokens.body.role).toBe('citizen');
    await t.http.get('/api/v1/applications').set('Authorization', `Bearer ${tokens.body.accessToken}`).expect(200);
    await t.http.post('/api/v1/auth/eid/token').send({ flowId: again.body.flowId, code: code2 }).expect(401);
  });

  it('signs out at the provider too (RP-initiated logout with the ID token)', async () => {
    const person = sandbox.addPerson({
      idNumber: newIdNumber(),
      fullName: 'Lý Văn Sơn',
      birthdate: '1988-08-08',
      phone: null,
    });
    const b = new Browser(t.url);
    await choose(b, person.sub);
    const page = await (await b.request('/account')).text();
    const out = await b.request('/logout', { _csrf: csrfOf(page) });
    expect(out.status).toBe(303);
    const location = new URL(out.headers.get('location')!);
    expect(location.pathname).toBe('/sandbox/eid/session/end');
    expect(location.searchParams.get('id_token_hint')).toBeTruthy();
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${t.url}/login?notice=signed-out`);
    expect((await b.request('/account')).headers.get('location')).toMatch(/^\/login/);
  });
});

/**
 * A provider that speaks the protocol but answers with crafted ID tokens: the portal's real callback must refuse
 * each, and create nothing.
 */
describe('national eID sign-in refuses a tampered ID token', () => {
  let t: TestApp;
  let op: Server;
  let opUrl: string;
  let good: { privateKey: KeyLike; publicKey: KeyLike };
  let rogue: { privateKey: KeyLike; publicKey: KeyLike };
  let craft: (nonce: string) => Promise<string>;

  beforeAll(async () => {
    good = await generateKeyPair('RS256');
    rogue = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(good.publicKey)), kid: 'good', alg: 'RS256', use: 'sig' };
    let lastNonce = '';
    op = createServer((req, res) => {
      const url = new URL(req.url!, opUrl);
      const json = (body: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/openid-configuration') {
        return json({
          issuer: opUrl,
          authorization_endpoint: `${opUrl}/authorize`,
          token_endpoint: `${opUrl}/token`,
          jwks_uri: `${opUrl}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (url.pathname === '/jwks') return json({ keys: [jwk] });
      if (url.pathname === '/authorize') {
        lastNonce = url.searchParams.get('nonce')!;
        res.statusCode = 302;
        res.setHeader(
          'location',
          `${url.searchParams.get('redirect_uri')}?code=c0de&state=${url.searchParams.get('state')}`,
        );
        return res.end();
      }
      if (url.pathname === '/token') {
        req.resume();
        return void craft(lastNonce).then((idToken) =>
          json({ access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: idToken }),
        );
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => op.listen(0, '127.0.0.1', r));
    opUrl = `http://127.0.0.1:${(op.address() as { port: number }).port}`;
    t = await createTestApp({ env: { OIDC_ISSUER: opUrl, OIDC_CLIENT_SECRET: 'fake-op-client-secret-0123456789' } });
  });
  afterAll(async () => {
    await t?.close();
    op?.close();
  });

  const token = (claims: Record<string, unknown>, key: KeyLike, kid = 'good') =>
    new SignJWT({ id_number: claims.idNumber, name: 'Kẻ Giả Mạo', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer((claims.iss as string) ?? opUrl)
      .setAudience((claims.aud as string) ?? 'public-services-portal')
      .setSubject('someone')
      .setIssuedAt((claims.iat as number) ?? Math.floor(Date.now() / 1000))
      .setExpirationTime((claims.exp as number) ?? Math.floor(Date.now() / 1000) + 300)
      .sign(key);

  async function attempt(build: (nonce: string, idNumber: string) => Promise<string>) {
    const idNumber = newIdNumber();
    craft = (nonce) => build(nonce, idNumber);
    const b = new Browser(t.url);
    const res = await b.follow(await b.request('/login/eid'));
    return { res, idNumber };
  }

  it.each([
    [
      'a signature by a key not in the JWKS',
      (n: string, id: string) => token({ nonce: n, idNumber: id }, rogue.privateKey),
    ],
    [
      'another audience',
      (n: string, id: string) => token({ nonce: n, idNumber: id, aud: 'someone-else' }, good.privateKey),
    ],
    [
      'another issuer',
      (n: string, id: string) => token({ nonce: n, idNumber: id, iss: 'https://evil.example' }, good.privateKey),
    ],
    [
      'an expired token',
      (n: string, id: string) => {
        const past = Math.floor(Date.now() / 1000) - 3600;
        return token({ nonce: n, idNumber: id, iat: past - 300, exp: past }, good.privateKey);
      },
    ],
    ['a wrong nonce', (_n: string, id: string) => token({ nonce: 'not-the-nonce', idNumber: id }, good.privateKey)],
  ])('refuses %s and creates nothing', async (_what, build) => {
    const { res, idNumber } = await attempt(build);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Không xác minh được thông tin đăng nhập nhận về');
    expect(await t.db.query(`SELECT id FROM accounts WHERE id_number = $1`, [idNumber])).toEqual([]);
  });

  it('accepts the same provider when the token is right (the checks above are the only difference)', async () => {
    const { res, idNumber } = await attempt((n, id) => token({ nonce: n, idNumber: id }, good.privateKey));
    expect(res.status).toBe(200);
    expect(res.url).toContain('/dossiers');
    const rows = await t.db.query(`SELECT id_number_verified FROM accounts WHERE id_number = $1`, [idNumber]);
    expect(rows).toEqual([{ id_number_verified: true }]);
  });

  it('tolerates a provider clock a little ahead (clock skew)', async () => {
    const { res } = await attempt((n, id) =>
      token({ nonce: n, idNumber: id, iat: Math.floor(Date.now() / 1000) + 30 }, good.privateKey),
    );
    expect(res.url).toContain('/dossiers');
  });
});

/**
 * The client authenticates at the token endpoint with a signed JWT (private_key_jwt, OIDC_CLIENT_KEY) instead of a
 * secret: the sandbox provider registers the public half and accepts only that.
 */
describe('national eID sign-in with private_key_jwt client authentication', () => {
  let t: TestApp;
  let sandbox: EidSandbox;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    t = await createTestApp({ env: { OIDC_CLIENT_KEY: pem } });
    sandbox = t.app.get(EidSandbox, { strict: false });
  });
  afterAll(() => t?.close());

  it('signs a new person in, the code traded for tokens with a client assertion', async () => {
    const idNumber = newIdNumber();
    const person = sandbox.addPerson({ idNumber, fullName: 'Vũ Minh Tâm', birthdate: '1990-09-09', phone: null });
    const b = new Browser(t.url);
    const start = await b.follow(await b.request('/login/eid'));
    const html = await start.text();
    expect(start.url).toContain('/sandbox/eid/interaction/');
    const chosen = await b.request(start.url, { _csrf: csrfOf(html), person: person.sub });
    const atCallback = await b.follow(chosen, /\/login\/eid\/callback/);
    const res = await b.request(new URL(atCallback.headers.get('location')!, atCallback.url).toString());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dossiers');
    const rows = await t.db.query<{ id_number_verified: boolean }[]>(
      `SELECT id_number_verified FROM accounts WHERE id_number = $1`,
      [idNumber],
    );
    expect(rows).toEqual([{ id_number_verified: true }]);
  });
});
