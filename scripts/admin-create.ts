import { isEmail } from 'class-validator';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../src/auth/accounts.repository';
import { hashPassword } from '../src/auth/passwords';
import { environmentValue } from '../src/config/configuration';
import { dataSourceOptions } from '../src/database/data-source';
import { pendingMigrations } from '../src/database/migrate';

/**
 * `npm run admin:create -- --email ops@agency.gov.vn [--name "Nguyễn Văn A"]`:
 * creates an administrator in the database at DATABASE_URL (how a production
 * deployment gets its first one: it has no demo accounts). The password is
 * read from a prompt (no echo, asked twice) on a terminal, or from the first
 * line of stdin otherwise; never from the command line, which other users of
 * the machine see in `ps` and the shell keeps in its history.
 *
 * It does not migrate: the portal migrates at start (or `npm run migration:run`);
 * on a database whose schema is missing or behind it stops and says so.
 *
 * Exit codes: 0 created; 1 an account with this email already exists (nothing
 * changed; run it twice and you still have one account); 2 refused arguments or
 * password (nothing written); 3 could not run (DATABASE_URL, schema, database).
 */

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

const USAGE =
  'usage: npm run admin:create -- --email <address> [--name "<full name>"]   (password: prompt, or first line of stdin)';

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Why `password` is not good enough for an administrator, or undefined. */
export function passwordProblem(password: string, email: string): string | undefined {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN) return `the password must have at least ${PASSWORD_MIN} characters`;
  if (chars.length > PASSWORD_MAX) return `the password must have at most ${PASSWORD_MAX} characters`;
  if (new Set(chars).size < 4) return 'the password must not be one or a few characters repeated';
  const lower = password.toLowerCase();
  const local = email.toLowerCase().split('@')[0];
  if (lower.includes(email.toLowerCase()) || (local.length >= 4 && lower.includes(local))) {
    return 'the password must not contain the email address';
  }
  return undefined;
}

function parse(argv: string[]): { email: string; name: string } {
  // Refused before parsing, with the reason: a password on the command line is already exposed.
  if (argv.some((a) => /^--?(p|password|pass|pwd)(=|$)/i.test(a))) {
    throw new Exit(
      2,
      'a password is never taken from the command line (visible in `ps` and shell history): type it at the prompt or pipe it on stdin',
    );
  }
  let values: { email?: string; name?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, name: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new Exit(2, `${(e as Error).message}\n${USAGE}`);
  }
  const email = (values.email ?? '').trim().toLowerCase();
  if (!email) throw new Exit(2, `--email is required\n${USAGE}`);
  if (!isEmail(email) || email.length > 254) throw new Exit(2, `--email: not a valid email address: ${email}`);
  const name = (values.name ?? 'Quản trị hệ thống').trim();
  if (!name || [...name].length > 200) throw new Exit(2, '--name: 1 to 200 characters');
  return { email, name };
}

/** A line typed without echo (raw mode), on the terminal. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          return resolve(value);
        }
        if (ch === '\u0003') {
          finish();
          return reject(new Exit(2, 'cancelled'));
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of stdin (a pipe or a file). */
async function readStdinLine(): Promise<string> {
  let data = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    data += chunk;
    if (data.includes('\n')) break;
  }
  return data.split('\n')[0].replace(/\r$/, '');
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const password = await readStdinLine();
    if (!password) throw new Exit(2, 'no password on stdin (the first line is the password)');
    return password;
  }
  const password = await promptHidden('Password for the new administrator: ');
  if ((await promptHidden('Repeat it: ')) !== password) throw new Exit(2, 'the two passwords differ; nothing written');
  return password;
}

/** The schema is there and every migration of this build is applied. */
async function assertSchema(ds: DataSource): Promise<void> {
  const hint = 'start the portal once (it migrates at start) or run `npm run migration:run`, then try again';
  const pending = await pendingMigrations(ds);
  if (!pending) throw new Exit(3, `the database has no portal schema (no accounts table): ${hint}`);
  if (pending.length)
    throw new Exit(3, `the database schema is behind this version (pending: ${pending.join(', ')}): ${hint}`);
}

export async function adminCreate(argv: string[]): Promise<string> {
  const { email, name } = parse(argv);
  const url = environmentValue('DATABASE_URL');
  if (!url) throw new Exit(3, 'DATABASE_URL is not set');
  // One connection; no extension installed at connect (a database without the schema stays untouched).
  const ds = new DataSource(
    dataSourceOptions(url, {
      applicationName: 'admin-create',
      installExtensions: false,
      logging: false,
      extra: { max: 1 },
    }),
  );
  try {
    await ds.initialize();
  } catch (e) {
    throw new Exit(3, `cannot connect to the database: ${(e as Error).message}`);
  }
  try {
    await assertSchema(ds);
    const accounts = new AccountsRepository(ds);
    const taken = () => new Exit(1, `an account with the email ${email} already exists; nothing changed`);
    // Before the prompt, so nobody types a password for nothing; the insert below decides for real.
    if (await accounts.emailTaken(email)) throw taken();
    const password = await readPassword();
    const problem = passwordProblem(password, email);
    if (problem) throw new Exit(2, `${problem}; nothing written`);
    const passwordHash = await hashPassword(password);
    const created = await accounts.insertAdminIfAbsent({ email, passwordHash, fullName: name });
    if (!created) throw taken();
    return `administrator ${email} created (id ${created.id})`;
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) {
  adminCreate(process.argv.slice(2)).then(
    (line) => {
      console.log(`admin:create: ${line}`);
      process.exitCode = 0;
    },
    (err: Error) => {
      console.error(`admin:create: ${err instanceof Exit ? err.message : `could not run: ${err.message}`}`);
      process.exitCode = err instanceof Exit ? err.code : 3;
    },
  );
}
