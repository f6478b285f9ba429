import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Issue 9: repositories own the SQL. Fails when a statement appears in a
 * source file of src/ or scripts/ that is not a repository. Allowed: the
 * repositories (`*.repository.ts`, which also hold the SQL fragments they
 * use), the migrations (outside src/), and the schema and data bootstrap of
 * src/database: migrate.ts, seed.ts (they run before the app and its
 * repositories exist, argued in their headers) and query-result.ts (the
 * typed `query` helpers the repositories call). Tests are not checked.
 */
const ROOT = join(__dirname, '..', '..');
const SQL = /\.query\(|createQueryBuilder|SELECT |INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|LISTEN /;
const ALLOWED = new Set(['src/database/migrate.ts', 'src/database/seed.ts', 'src/database/query-result.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) ? [relative(ROOT, path).split('\\').join('/')] : [];
  });
}

const isTest = (file: string) => /(\.|-)spec\.ts$/.test(file);
const isAllowed = (file: string) =>
  file.endsWith('.repository.ts') || file.startsWith('migrations/') || ALLOWED.has(file);

describe('SQL ownership', () => {
  it('no statement outside the repositories, the migrations and the database bootstrap (src/, scripts/)', () => {
    const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'scripts'))].filter((f) => !isTest(f));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .filter((f) => !isAllowed(f))
      .flatMap((f) =>
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (SQL.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it('the check finds a statement where one is written', () => {
    expect(SQL.test("await this.db.query('SELECT 1')")).toBe(true);
    expect(SQL.test('`UPDATE dossiers SET state = $2`')).toBe(true);
    expect(SQL.test('await client.query("LISTEN outbox")')).toBe(true);
    expect(isAllowed('src/applications/dossier.repository.ts')).toBe(true);
    expect(isAllowed('src/applications/applications.service.ts')).toBe(false);
  });
});
