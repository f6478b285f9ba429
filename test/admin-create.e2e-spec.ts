import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from './support/app';
import { createEmptyDatabase, dropDatabase } from './support/db';
import { runScript } from './support/scripts';

/**
 * `npm run admin:create`: the real script as its own process, the password
 * piped on stdin (so a test passing proves argv is not where it comes from).
 */
describe('admin:create', () => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp();
    env = { DATABASE_URL: process.env.DATABASE_URL! };
  });
  afterAll(() => t.close());

  const newEmail = () => `ops.${randomBytes(4).toString('hex')}@agency.gov.vn`;
  const PASSWORD = 'Correct horse battery 42';
  const accounts = async (email: string) =>
    t.db.query<{ role: string; full_name: string; password_hash: string }[]>(
      `SELECT role, full_name, password_hash FROM accounts WHERE email = $1`,
      [email],
    );
  const login = (email: string, password: string) => t.http.post('/api/v1/auth/login').send({ email, password });

  it('creates an administrator from the password on stdin (argon2id); it signs in and reaches admin routes', async () => {
    const email = newEmail();
    const run = await runScript('admin-create', ['--email', email, '--name', 'Trần Thị Vận Hành'], {
      env,
      input: `${PASSWORD}\n`,
    });
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining(`administrator ${email} created`) });
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    const rows = await accounts(email);
    expect(rows).toEqual([
      { role: 'admin', full_name: 'Trần Thị Vận Hành', password_hash: expect.stringMatching(/^\$argon2id\$/) },
    ]);
    const session = await login(email, PASSWORD).expect(200);
    await t.http.get('/api/v1/admin/queues').set('authorization', `Bearer ${session.body.accessToken}`).expect(200);
  });

  it('run twice with the same email (any case): exit code 1, "already exists", still one account with the first password', async () => {
    const email = newEmail();
    expect((await runScript('admin-create', ['--email', email], { env, input: `${PASSWORD}\n` })).code).toBe(0);
    const again = await runScript('admin-create', ['--email', email.toUpperCase()], {
      env,
      input: 'Another password 1234\n',
    });
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`an account with the email ${email} already exists; nothing changed`),
    });
    expect(await accounts(email)).toHaveLength(1);
    await login(email, PASSWORD).expect(200);
    await login(email, 'Another password 1234').expect(401);
  });

  it('an existing citizen or staff email is not turned into an administrator', async () => {
    const again = await runScript('admin-create', ['--email', 'clerk.bennghe@demo.local'], {
      env,
      input: `${PASSWORD}\n`,
    });
    expect(again.code).toBe(1);
    expect((await accounts('clerk.bennghe@demo.local'))[0].role).toBe('clerk');
  });

  it('a password on the command line is refused, whatever the spelling; nothing written', async () => {
    for (const args of [['--password', PASSWORD], [`--password=${PASSWORD}`], ['-p', PASSWORD]]) {
      const email = newEmail();
      const run = await runScript('admin-create', ['--email', email, ...args], { env, input: `${PASSWORD}\n` });
      expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('never taken from the command line') });
      expect(await accounts(email)).toEqual([]);
    }
  });

  it.each([
    ['a password shorter than 12 characters', 'Short1!abcd', /at least 12 characters/],
    ['a password of one character repeated', 'aaaaaaaaaaaaaaaa', /repeated/],
    ['a password containing the email', 'EMAIL-and-more-1', /must not contain the email/],
    ['an empty stdin', '', /no password on stdin/],
  ])('%s: refused with exit code 2; nothing written', async (_what, password, message) => {
    const email = newEmail();
    const input = password.replace('EMAIL', email.split('@')[0]);
    const run = await runScript('admin-create', ['--email', email], { env, input: input ? `${input}\n` : '' });
    expect(run).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
    expect(await accounts(email)).toEqual([]);
  });

  it('arguments: --email is required and must be an address; unknown options are refused (exit code 2)', async () => {
    expect(await runScript('admin-create', [], { env, input: `${PASSWORD}\n` })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--email is required'),
    });
    expect(
      await runScript('admin-create', ['--email', 'not-an-address'], { env, input: `${PASSWORD}\n` }),
    ).toMatchObject({ code: 2, stderr: expect.stringContaining('not a valid email') });
    expect(
      (await runScript('admin-create', ['--email', newEmail(), '--role', 'citizen'], { env, input: `${PASSWORD}\n` }))
        .code,
    ).toBe(2);
  });

  it('cannot run (exit code 3) without DATABASE_URL, or on a database without the portal schema, and says what to do', async () => {
    const noUrl = await runScript('admin-create', ['--email', newEmail()], { env: {}, input: `${PASSWORD}\n` });
    expect(noUrl).toMatchObject({ code: 3, stderr: expect.stringContaining('DATABASE_URL is not set') });
    const empty = await createEmptyDatabase();
    try {
      const run = await runScript('admin-create', ['--email', newEmail()], {
        env: { DATABASE_URL: empty.url },
        input: `${PASSWORD}\n`,
      });
      expect(run).toMatchObject({ code: 3, stderr: expect.stringContaining('no portal schema') });
      expect(run.stderr).toContain('npm run migration:run');
    } finally {
      await dropDatabase(empty.name);
    }
  });
});
