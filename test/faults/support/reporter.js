/* eslint-disable */
// Prints, at the end of `npm run test:faults`, each scenario's result and time,
// the figures the scenarios recorded (support/report.ts), and the whole run's time.
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { relative } = require('node:path');

class FaultsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.start = Date.now();
  }

  onRunComplete(_contexts, results) {
    const lines = ['', 'Fault tests: results and times'];
    for (const file of results.testResults) {
      const fileMs = file.perfStats.end - file.perfStats.start;
      lines.push(
        `  ${relative(this.rootDir, file.testFilePath)}  (${(fileMs / 1000).toFixed(1)} s with its own setup)`,
      );
      for (const t of file.testResults) {
        lines.push(
          `    ${t.status === 'passed' ? 'PASS' : t.status.toUpperCase()}  ${t.title}  ${((t.duration ?? 0) / 1000).toFixed(1)} s`,
        );
      }
      if (file.failureMessage && file.testResults.length === 0)
        lines.push(`    FAILED TO RUN: ${file.failureMessage.split('\n')[0]}`);
    }
    const path = process.env.FAULTS_REPORT_FILE;
    if (path && existsSync(path)) {
      lines.push('', 'Figures:');
      for (const raw of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
        try {
          const { scenario, figures } = JSON.parse(raw);
          lines.push(
            `  ${scenario}: ${Object.entries(figures)
              .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
              .join(', ')}`,
          );
        } catch {
          /* skip */
        }
      }
      rmSync(path, { force: true });
    }
    const runStart = Number(process.env.FAULTS_RUN_STARTED_AT) || this.start;
    const afterBuild = Number(process.env.FAULTS_STARTED_AT) || runStart;
    lines.push(
      '',
      `Total: ${((Date.now() - runStart) / 1000).toFixed(1)} s (build ${((afterBuild - runStart) / 1000).toFixed(1)} s, scenarios ${((Date.now() - afterBuild) / 1000).toFixed(1)} s); ` +
        `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`,
      '',
    );
    process.stdout.write(lines.join('\n') + '\n');
  }
}

module.exports = FaultsReporter;
