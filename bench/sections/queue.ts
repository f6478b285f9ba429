import { encodeCursor } from '../../src/applications/applications.service';
import { accessToken, bounded } from '../lib/context';
import { median, round } from '../lib/load';
import { Env, takeStatements } from '../lib/portal';

export interface QueueResult {
  /** The first page as the clerk gets it: the items and the counts per state (the tabs above the list). */
  firstMs: number;
  /** The same first page without the counts (its items only, through a cursor before the first row). */
  firstNoCountsMs: number;
  deepMs: number;
  /** Deep page / first page without the counts: what paging deeper costs (like with like: neither counts). */
  deepOverFirst: number;
  /** First page with the counts / without: what the counts cost the clerk's first page. */
  countsOverhead: number;
  /** What bounds the first page, from the figures above. */
  bound: string;
  /** What bounds a page without the counts, first or deep. */
  pagingBound: string;
  indexPlan: boolean;
  dossiers: number;
  openDossiers: number;
  depth: number;
  samples: number;
  seedS: number;
  /** Per page: the statements the API ran and the planner's view of the items query. */
  statements: string[];
  itemsQuery: { firstMs: number; deepMs: number };
  countsQueryMs: number;
  plan: string;
  countsPlan: string;
  firstMsAll: number[];
  firstNoCountsMsAll: number[];
  deepMsAll: number[];
}

const BIRTH_EXTRACT = '1.004884';

/** A cursor before every row of the queue: the first page's items, without the counts the first page carries. */
export const BEFORE_FIRST = encodeCursor([new Date(0).toISOString(), '00000000-0000-0000-0000-000000000000']);

/**
 * Queue: 1,000,000 dossiers of one agency seeded in bulk with SQL (8 in 10
 * open, spread over the last 60 days; 2 in 10 finished), then the agency
 * clerk's `GET /queue`: the first page as the clerk gets it (with the counts
 * per state), the same page without the counts (the API counts on the first
 * page only, so it is asked with a cursor before the first row), and a page
 * 10,000 rows deep (the cursor built as the API builds it), each timed
 * sequentially, median of `samples`. The plan of the deep page's query (as the API ran it, captured
 * in its process) is printed; `indexPlan` is true when it reads an index of
 * the queue and sorts nothing from the dossiers table.
 */
export async function benchQueue(
  env: Env,
  o: { dossiers: number; depth: number; samples: number },
): Promise<QueueResult> {
  const { ctx, demo } = env;
  const procedure = demo.procedures[BIRTH_EXTRACT];
  const clerk = demo.staff['clerk.bennghe@demo.local'];
  const t0 = Date.now();
  await seedQueue(env, procedure, o.dossiers);
  const seedS = (Date.now() - t0) / 1000;
  const [{ open }] = (
    await ctx.pool.query(
      `SELECT count(*)::int AS open FROM dossiers WHERE agency_id = $1 AND attention_at IS NOT NULL`,
      [procedure.agencyId],
    )
  ).rows;

  const token = accessToken(ctx.jwtSecret, { id: clerk.id, role: 'clerk', agencyId: clerk.agencyId });
  // The cursor of the page `depth` rows deep, as QueueService encodes it: [attentionAt ISO, id] of the last row before it.
  const [last] = (
    await ctx.pool.query(
      `SELECT attention_at, id FROM dossiers WHERE agency_id = $1 AND attention_at IS NOT NULL ORDER BY attention_at, id OFFSET $2 LIMIT 1`,
      [procedure.agencyId, o.depth - 1],
    )
  ).rows;
  const deepCursor = encodeCursor([new Date(last.attention_at).toISOString(), last.id]);
  const page = async (cursor?: string) => {
    const t = process.hrtime.bigint();
    const res = await fetch(`${env.apiUrl}/api/v1/queue${cursor ? `?cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { items: { id: string }[] };
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (res.status !== 200 || body.items.length === 0)
      throw new Error(`queue page: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return { ms, body };
  };

  // The first page's cursor is the API's own: it must lead on (checks the encoding used above).
  const first = await page();
  const firstCursor = (first.body as unknown as { nextCursor: string }).nextCursor;
  if (!firstCursor) throw new Error('queue: no nextCursor on the first page');
  await page(firstCursor);
  // The cursor before the first row gives the first page's rows, without the counts.
  const noCounts = await page(BEFORE_FIRST);
  const ids = (b: unknown) => (b as { items: { id: string }[] }).items.map((i) => i.id).join();
  if (ids(noCounts.body) !== ids(first.body) || 'counts' in noCounts.body || !('counts' in first.body))
    throw new Error('queue: the page before the first row is not the first page without its counts');

  // What the API runs for one deep page, captured in its process.
  await takeStatements(env.api);
  await page(deepCursor);
  const captured = await takeStatements(env.api);
  const itemsStmt = captured.find((s) => /ORDER BY d\.attention_at/i.test(s.text));
  // The counts run on the first page only: captured there.
  await page();
  const countsStmt = (await takeStatements(env.api)).find((s) => /count\(\*\)/i.test(s.text));

  const firstAll: number[] = [];
  const firstNoCountsAll: number[] = [];
  const deepAll: number[] = [];
  await bounded(
    'queue pages',
    120_000,
    (async () => {
      for (let i = 0; i < 3; i++) {
        await page();
        await page(BEFORE_FIRST);
        await page(deepCursor);
      }
      // The three pages in turn, the order reversed every other round (none always follows the counts' query).
      const kinds: [number[], string | undefined][] = [
        [firstAll, undefined],
        [firstNoCountsAll, BEFORE_FIRST],
        [deepAll, deepCursor],
      ];
      for (let i = 0; i < o.samples; i++) {
        for (const [into, cursor] of i % 2 ? [...kinds].reverse() : kinds) into.push((await page(cursor)).ms);
      }
    })(),
  );

  // The plan of the deep page's items query (and of the counts), with the API's own text and parameters.
  let plan = '';
  let indexPlan = false;
  let itemsFirstMs = 0;
  let itemsDeepMs = 0;
  let countsPlan = '';
  let countsMs = 0;
  if (itemsStmt) {
    const explain = async (params: unknown[], format: 'TEXT' | 'JSON') =>
      (await ctx.pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT ${format}) ${itemsStmt.text}`, params)).rows;
    plan = (await explain(itemsStmt.params, 'TEXT')).map((r) => r['QUERY PLAN']).join('\n');
    const json = (await explain(itemsStmt.params, 'JSON'))[0]['QUERY PLAN'][0];
    indexPlan = usesQueueIndexWithoutSort(json.Plan);
    itemsDeepMs = json['Execution Time'];
    // The first page runs the same query without the cursor condition.
    const firstText = itemsStmt.text.replace(
      / AND \(d\.attention_at, d\.id\) > \(\$\d+::timestamptz, \$\d+::uuid\)/,
      '',
    );
    const firstParams = itemsStmt.params.slice(0, itemsStmt.params.length - 2);
    const firstJson = (await ctx.pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${firstText}`, firstParams)).rows[0][
      'QUERY PLAN'
    ][0];
    itemsFirstMs = firstJson['Execution Time'];
  }
  if (countsStmt) {
    const rows = (await ctx.pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${countsStmt.text}`, countsStmt.params)).rows;
    countsPlan = rows.map((r) => r['QUERY PLAN']).join('\n');
    countsMs = Number(/Execution Time: ([\d.]+) ms/.exec(countsPlan)?.[1] ?? 0);
  }

  const firstMs = median(firstAll);
  const firstNoCountsMs = median(firstNoCountsAll);
  const deepMs = median(deepAll);
  const bound =
    firstMs > 2 * firstNoCountsMs
      ? `the counts per state: the first page takes ${round(firstMs, 1)} ms with them, ${round(firstNoCountsMs, 1)} ms ` +
        `without; their query counts the agency's ${open} open dossiers (${round(countsMs, 1)} ms in Postgres), the items ` +
        `query reads one page off the queue index (${round(itemsFirstMs, 2)} ms)`
      : `the request itself (auth, scope, JSON): the items query takes ${round(itemsFirstMs, 2)} ms of ` +
        `${round(firstNoCountsMs, 1)} ms, the counts ${round(countsMs, 1)} ms`;
  return {
    firstMs: round(firstMs, 2),
    firstNoCountsMs: round(firstNoCountsMs, 2),
    deepMs: round(deepMs, 2),
    deepOverFirst: round(deepMs / firstNoCountsMs, 3),
    countsOverhead: round(firstMs / firstNoCountsMs, 2),
    bound,
    pagingBound:
      `one page off the queue index whatever the depth (items query ${round(itemsFirstMs, 2)} ms first, ` +
      `${round(itemsDeepMs, 2)} ms deep, in Postgres); the rest of ${round(firstNoCountsMs, 1)} ms is the request (auth, scope, JSON)`,
    indexPlan,
    dossiers: o.dossiers,
    openDossiers: open,
    depth: o.depth,
    samples: o.samples,
    seedS: round(seedS, 1),
    statements: captured.map((s) => s.key.slice(0, 120)),
    itemsQuery: { firstMs: round(itemsFirstMs, 2), deepMs: round(itemsDeepMs, 2) },
    countsQueryMs: round(countsMs, 2),
    plan,
    countsPlan,
    firstMsAll: firstAll.map((x) => round(x, 1)),
    firstNoCountsMsAll: firstNoCountsAll.map((x) => round(x, 1)),
    deepMsAll: deepAll.map((x) => round(x, 1)),
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
}

/** An index scan of dossiers on a queue index, and no Sort node with a dossiers scan below it. */
export function usesQueueIndexWithoutSort(root: PlanNode): boolean {
  const nodes: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    nodes.push(n);
    n.Plans?.forEach(walk);
  };
  walk(root);
  const scansDossiers = (n: PlanNode): boolean =>
    (n['Relation Name'] === 'dossiers' && /Scan/.test(n['Node Type'])) || (n.Plans ?? []).some(scansDossiers);
  const queueIndex = nodes.some(
    (n) =>
      /Index( Only)? Scan/.test(n['Node Type']) &&
      n['Relation Name'] === 'dossiers' &&
      /^dossiers_queue/.test(n['Index Name'] ?? ''),
  );
  const sortOverTable = nodes.some((n) => /Sort/.test(n['Node Type']) && scansDossiers(n));
  return queueIndex && !sortOverTable;
}

/**
 * `count` dossiers of the agency in one statement. Timestamps at millisecond
 * precision, as the portal writes them (JavaScript dates).
 */
async function seedQueue(
  env: Env,
  procedure: { id: string; agencyId: string; versionId: string },
  count: number,
): Promise<void> {
  const { pool } = env.ctx;
  const cits = env.citizens.map((c) => c.id);
  const client = await pool.connect();
  try {
    await client.query(`SET maintenance_work_mem = '256MB'`);
    // Bulk load as a database administrator would: secondary indexes rebuilt once after the rows are in.
    const { rows: indexes } = await client.query(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = 'dossiers' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    );
    await client.query('BEGIN');
    for (const ix of indexes) await client.query(`DROP INDEX ${ix.indexname}`);
    await client.query(
      `INSERT INTO dossiers (agency_id, procedure_id, procedure_version_id, applicant_id, state, code, form_data,
                            submitted_at, received_at, due_at, finished_at, attention_at, history_seq, created_at, updated_at)
       SELECT $1, $2, $3, ($4::uuid[])[1 + g % array_length($4::uuid[], 1)], x.state, 'Q' || $6::text || '-' || g,
              '{"fullName":"Nguyễn Văn Hàng Đợi","dateOfBirth":"1990-01-01","copies":1}'::jsonb,
              x.sub, x.rec, x.due, x.fin,
              CASE x.state WHEN 'submitted' THEN x.sub WHEN 'processing' THEN x.due END, 1, x.sub, x.sub
         FROM generate_series(1, $5::int) g,
              LATERAL (SELECT g AS gg, CASE WHEN g % 10 < 2 THEN 'completed' WHEN g % 10 < 6 THEN 'processing' ELSE 'submitted' END AS state,
                              date_trunc('milliseconds', now() - random() * interval '60 days') AS sub) s0,
              LATERAL (SELECT s0.state,
                              s0.sub,
                              CASE WHEN s0.state <> 'submitted' THEN s0.sub + interval '2 hours' END AS rec,
                              CASE WHEN s0.state <> 'submitted' THEN s0.sub + interval '2 hours' + (1 + (g % 15)) * interval '1 day' END AS due,
                              CASE WHEN s0.state = 'completed' THEN s0.sub + interval '1 day' END AS fin) x`,
      [procedure.agencyId, procedure.id, procedure.versionId, cits, count, env.ctx.runId],
    );
    for (const ix of indexes) await client.query(ix.indexdef);
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE dossiers');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
