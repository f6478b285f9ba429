import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Once per fault-test run: builds the portal (the tests run it as child
 * processes) into its own output directory, `.data/faults-dist` (the same
 * `tsc -p tsconfig.build.json` as `npm run build`, so a build or a benchmark
 * running beside the suite cannot swap `dist/` under it); starts the figures
 * file the reporter prints; and removes temp directories that earlier runs
 * killed mid-way left behind (older than 6 h).
 */
export default function globalSetup(): void {
  const root = resolve(__dirname, '../../..');
  const t0 = Date.now();
  process.env.FAULTS_RUN_STARTED_AT = String(t0);
  if (process.env.FAULTS_SKIP_BUILD !== 'true') {
    const out = join(root, '.data', 'faults-dist');
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        out,
        '--tsBuildInfoFile',
        join(out, '.tsbuildinfo'),
      ],
      { cwd: root, stdio: 'inherit' },
    );
  }
  const file = join(tmpdir(), `portal-faults-report-${process.pid}.jsonl`);
  writeFileSync(file, JSON.stringify({ scenario: 'build', figures: { ms: Date.now() - t0 } }) + '\n');
  process.env.FAULTS_REPORT_FILE = file;
  process.env.FAULTS_STARTED_AT = String(Date.now());
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('portal-faults-')) continue;
    const path = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(path).mtimeMs > 6 * 3600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      /* another run's, in use */
    }
  }
}
