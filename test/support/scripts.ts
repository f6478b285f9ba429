import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/<name>.ts` as its own process, from source (test/support/ts-register.js),
 * with `input` piped to its stdin and exactly `env` as its environment (plus PATH).
 */
export function runScript(
  name: string,
  args: string[],
  opts: { env: Record<string, string | undefined>; input?: string },
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'test', 'support', 'ts-register.js'), join(ROOT, 'scripts', `${name}.ts`), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // The script may stop before reading its stdin (e.g. the account exists): that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
