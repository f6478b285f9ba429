/**
 * Summary of a V8 CPU profile (`node --cpu-prof`, or `BENCH_CPU_PROF=1 npm
 * run bench`): idle share, and self time by function and by package.
 *
 *   node dist/bench/profile-summary.js dist/bench/profiles/api-<run>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarize(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, '');
    const pkg = /\(idle\)|\(program\)|\(garbage collector\)/.test(functionName)
      ? functionName
      : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
        (where.includes('/dist/src/')
          ? 'portal (dist/src)'
          : where.startsWith('node:')
            ? 'node core'
            : where || '(native)'));
    const fn = `${functionName || '(anonymous)'} ${where.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${(total / 1e6).toFixed(1)} s sampled`, '', 'by package (self time):'];
  [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .forEach(([k, v]) => lines.push(`  ${pct(v)}  ${k}`));
  lines.push('', 'by function (self time):');
  [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, v]) => lines.push(`  ${pct(v)}  ${k}`));
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')), Number(top ?? 25)));
}
