/**
 * The read baseline: a bare Fastify route that runs, with raw `pg`, exactly
 * the statements the API ran for one `GET /applications/:id` (captured from
 * the API process by lib/query-counter.ts and passed in BENCH_STATEMENTS),
 * with the dossier id and the caller's account id put where the API had them,
 * and answers the row. No auth, no DI, no validation, no mapping: what the
 * framework and the portal's own code add is what the ratio shows. Each
 * statement is prepared once per connection (named), as the portal's pool
 * prepares its own (src/database/prepared-client.ts): like with like.
 *
 * Run as a child process of bench/run.ts (its own event loop, like the API).
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';

interface Statement {
  text: string;
  /** Per parameter: 'id' (the dossier), 'user' (the caller) or a constant. */
  params: ({ ref: 'id' | 'user' } | { value: unknown })[];
}

async function main(): Promise<void> {
  const statements: Statement[] = JSON.parse(readFileSync(process.env.BENCH_STATEMENTS!, 'utf8'));
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 20) });
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/dossiers/:id', async (req, reply) => {
    const user = req.headers['x-user'];
    const results: unknown[] = [];
    for (const [i, s] of statements.entries()) {
      const values = s.params.map((p) => ('ref' in p ? (p.ref === 'id' ? req.params.id : user) : p.value));
      const { rows } = await pool.query({ name: `s${i}`, text: s.text, values });
      results.push(rows[0] ?? null);
    }
    if (!results[0]) return reply.code(404).send({ status: 404 });
    return { row: results[0], extra: results.slice(1) };
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.stdout.write('baseline ready\n');
  const stop = () =>
    app
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
