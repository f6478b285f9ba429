import { appendFileSync } from 'node:fs';

/**
 * Figures a scenario measured (timings, counts), written where the suite's
 * reporter (reporter.js) prints them at the end of the run, under the
 * scenario's name. Also echoed to stdout, so a single file run shows them.
 */
export function record(scenario: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ scenario, figures });
  const file = process.env.FAULTS_REPORT_FILE;
  if (file) appendFileSync(file, line + '\n');
  else process.stdout.write(`[faults] ${line}\n`);
}

/** Milliseconds since `t0`, rounded. */
export const since = (t0: number) => Date.now() - t0;
