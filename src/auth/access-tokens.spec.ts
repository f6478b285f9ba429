import { JwtService } from '@nestjs/jwt';
import { createSecretKey, randomUUID } from 'node:crypto';
import { ServiceUnavailable } from '../common/problem';
import { AccessTokens, bearerToken, VERIFIED_TOKENS_MAX } from './access-tokens';
import type { AccountsRepository } from './accounts.repository';

const SECRET = createSecretKey(Buffer.from('access-tokens-spec-secret-0123456789abcdef'));
const jwt = new JwtService({ secret: SECRET as never, signOptions: { algorithm: 'HS256' } });

/** An account table in memory that counts the lookups (every request must reach it). */
function accounts() {
  const rows = new Map<
    string,
    { role: 'citizen' | 'clerk'; agency_id: string | null; version: number; disabled?: boolean }
  >();
  const repo = {
    lookups: 0,
    fail: false,
    sessionAccount(id: string, version: number) {
      repo.lookups++;
      if (repo.fail) return Promise.reject(new Error('Connection terminated'));
      const r = rows.get(id);
      return Promise.resolve(
        r && r.version === version && !r.disabled ? { role: r.role, agency_id: r.agency_id } : undefined,
      );
    },
  };
  return { rows, repo };
}

function setup() {
  const { rows, repo } = accounts();
  const tokens = new AccessTokens(jwt, repo as unknown as AccountsRepository);
  const id = randomUUID();
  rows.set(id, { role: 'citizen', agency_id: null, version: 0 });
  const sign = (claims: Record<string, unknown> = {}, expiresIn: number | null = 900) =>
    jwt.sign(
      { sub: id, role: 'citizen', agency: null, typ: 'access', ver: 0, ...claims },
      expiresIn === null ? {} : { expiresIn },
    );
  return { rows, repo, tokens, id, sign };
}

describe('AccessTokens', () => {
  it('reads the bearer token as passport-jwt did (scheme case-insensitive)', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken(['Bearer abc'])).toBeNull();
  });

  it('accepts a good token, and asks the account on every request even when the token is remembered', async () => {
    const { repo, tokens, id, sign } = setup();
    const header = `Bearer ${sign()}`;
    for (let i = 0; i < 3; i++) {
      expect(await tokens.authenticate(header)).toEqual({ id, role: 'citizen', agencyId: null });
    }
    expect(repo.lookups).toBe(3);
    expect(tokens.remembered).toBe(1);
  });

  it('a remembered token stops at once when its account revokes its tokens, is disabled, or changes role', async () => {
    const { rows, tokens, id, sign } = setup();
    const header = `Bearer ${sign()}`;
    expect(await tokens.authenticate(header)).not.toBeNull();
    rows.get(id)!.version = 1;
    expect(await tokens.authenticate(header)).toBeNull();
    rows.get(id)!.version = 0;
    rows.get(id)!.disabled = true;
    expect(await tokens.authenticate(header)).toBeNull();
    rows.get(id)!.disabled = false;
    rows.get(id)!.role = 'clerk';
    expect((await tokens.authenticate(header))?.role).toBe('clerk');
  });

  it('a remembered token is refused once it expires', () => {
    const { tokens, sign } = setup();
    const token = sign({}, 60);
    const now = Date.now();
    expect(tokens.verify(token, now)).not.toBeNull();
    const { exp } = jwt.decode<{ exp: number }>(token);
    expect(tokens.verify(token, exp * 1000 - 1)).not.toBeNull();
    expect(tokens.verify(token, exp * 1000)).toBeNull();
    expect(tokens.remembered).toBe(0);
  });

  it('refuses and never remembers a bad signature, another algorithm, `none`, an expired token or bad claims', async () => {
    const { tokens, sign, repo } = setup();
    const good = sign();
    const [h, p] = good.split('.');
    const other = new JwtService({ secret: 'another-secret-0123456789abcdef0123456789' }).sign(
      { sub: randomUUID(), role: 'citizen', agency: null, typ: 'access', ver: 0 },
      { expiresIn: 900 },
    );
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const hs512 = jwt.sign({ sub: randomUUID(), typ: 'access', role: 'citizen', ver: 0 }, { algorithm: 'HS512' });
    const bad = [
      `${h}.${p}.${'A'.repeat(43)}`,
      other,
      none,
      hs512,
      sign({}, -10),
      sign({ typ: 'refresh' }),
      sign({ role: 'system' }),
      sign({ role: 'root' }),
      sign({ sub: 'not-a-uuid' }),
      sign({ ver: '0' }),
    ];
    for (const t of bad) {
      expect(await tokens.authenticate(`Bearer ${t}`)).toBeNull();
      // The same again: still refused (nothing was remembered).
      expect(await tokens.authenticate(`Bearer ${t}`)).toBeNull();
    }
    expect(tokens.remembered).toBe(0);
    expect(repo.lookups).toBe(0);
  });

  it('a token without an expiry is accepted as before but not remembered', async () => {
    const { tokens, sign } = setup();
    expect(await tokens.authenticate(`Bearer ${sign({}, null)}`)).not.toBeNull();
    expect(tokens.remembered).toBe(0);
  });

  it('remembers at most VERIFIED_TOKENS_MAX tokens, forgetting the oldest', () => {
    const { tokens, sign } = setup();
    const first = sign({ n: -1 });
    tokens.verify(first);
    for (let i = 0; i < VERIFIED_TOKENS_MAX; i++) tokens.verify(sign({ n: i }));
    expect(tokens.remembered).toBe(VERIFIED_TOKENS_MAX);
    // The oldest was forgotten, and is verified again (and still good).
    expect(tokens.verify(first)).not.toBeNull();
    expect(tokens.remembered).toBe(VERIFIED_TOKENS_MAX);
  });

  it('the database away is a 503, not a 401', async () => {
    const { tokens, sign, repo } = setup();
    repo.fail = true;
    await expect(tokens.authenticate(`Bearer ${sign()}`)).rejects.toBeInstanceOf(ServiceUnavailable);
  });
});
