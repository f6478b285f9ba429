import { environmentValue } from '../src/config/configuration';
import { Client } from 'pg';
import { auditHistory, formatFinding, summaryLine } from '../src/security/history-audit';

/**
 * `npm run audit:verify`: recomputes every dossier's hash-chained history in
 * the database at DATABASE_URL and prints each row whose hash does not match
 * its content, whose prev_hash breaks the chain or whose seq leaves a gap, and
 * each dossier whose head (history_seq/history_hash) disagrees; then a
 * one-line summary. Exit code 0: clean, 1: something found, 2: could not run.
 * Read-only, in one REPEATABLE READ snapshot.
 */
async function main(): Promise<number> {
  const url = environmentValue('DATABASE_URL');
  if (!url) {
    console.error('audit:verify: DATABASE_URL is not set');
    return 2;
  }
  const client = new Client({ connectionString: url, application_name: 'audit-verify' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await auditHistory(
      (sql, params) => client.query<Record<string, unknown>>(sql, params).then((r) => r.rows),
      {
        maxFindings: 0,
        onFinding: (f) => console.log(formatFinding(f)),
      },
    );
    await client.query('COMMIT');
    console.log(summaryLine(result));
    return result.problems === 0 ? 0 : 1;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`audit:verify: could not run: ${err.message}`);
    process.exitCode = 2;
  },
);
