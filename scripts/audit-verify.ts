import { DataSource } from 'typeorm';
import { HistoryRepository } from '../src/applications/history.repository';
import { environmentValue } from '../src/config/configuration';
import { auditHistory, formatFinding, summaryLine } from '../src/security/history-audit';

/**
 * `npm run audit:verify`: recomputes every dossier's hash-chained history in
 * the database at DATABASE_URL and prints each row whose hash does not match
 * its content, whose prev_hash breaks the chain or whose seq leaves a gap, and
 * each dossier whose head (history_seq/history_hash) disagrees; then a
 * one-line summary. Exit code 0: clean, 1: something found, 2: could not run.
 * Read-only, in one REPEATABLE READ snapshot (HistoryRepository.inSnapshot).
 *
 * The data source is a bare one (no entities, no migrations, one connection,
 * no extension installed at connect): the audit reads through
 * HistoryRepository's own statements only, and must not write.
 */
async function main(): Promise<number> {
  const url = environmentValue('DATABASE_URL');
  if (!url) {
    console.error('audit:verify: DATABASE_URL is not set');
    return 2;
  }
  const ds = new DataSource({
    type: 'postgres',
    url,
    applicationName: 'audit-verify',
    installExtensions: false,
    logging: false,
    extra: { max: 1 },
  });
  await ds.initialize();
  try {
    const result = await HistoryRepository.inSnapshot(ds, (history) =>
      auditHistory(history, {
        maxFindings: 0,
        onFinding: (f) => console.log(formatFinding(f)),
      }),
    );
    console.log(summaryLine(result));
    return result.problems === 0 ? 0 : 1;
  } finally {
    await ds.destroy();
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
