import { createHash, randomBytes } from 'node:crypto';
import { cannon, histogram, round } from '../lib/load';
import { Env, perOperation, takeStatements, totalOf } from '../lib/portal';
import { submittedDossiers } from './read';

export interface PageResult {
  /** `GET /dossiers/:id` (the citizen's dossier page, HTML) per second. */
  rps: number;
  /** `GET /api/v1/applications/:id` (the same dossiers, JSON) per second, measured in the same run. */
  jsonRps: number;
  ratio: number;
  connections: number;
  durationS: number;
  statuses: Record<string, number>;
  jsonStatuses: Record<string, number>;
  latencyMs: { p50: number; p99: number };
  jsonLatencyMs: { p50: number; p99: number };
  /** Size of one page as sent uncompressed, and gzip-compressed (what a browser transfers). */
  pageBytes: number;
  pageBytesGzip: number | null;
  /** Statements sent to Postgres per page and per JSON read (the page renders in one pass over the same reads). */
  roundTripsPerPage: number | null;
  roundTripsPerJson: number | null;
  /** Per page: each statement's calls and the time it waited (ms), and the same for the JSON read. */
  statementsPerPage: ReturnType<typeof perOperation> | null;
  statementsPerJson: ReturnType<typeof perOperation> | null;
}

/**
 * The dossier page against the JSON read of the same dossier: the same citizens' submitted dossiers, the same
 * connections and duration, the page signed in by a page session cookie and the API by a bearer token. Sessions
 * are written straight into web_sessions (the bench citizens have no password to sign in with).
 */
export async function benchPage(env: Env, o: { durationS: number; warmupS: number }): Promise<PageResult> {
  const { ctx } = env;
  const targets = await submittedDossiers(env);
  const owners = [...new Set(targets.map((t) => t.applicant_id))];
  const cookies = new Map(owners.map((id) => [id, randomBytes(32).toString('base64url')]));
  await ctx.pool.query(
    `INSERT INTO web_sessions (id_hash, account_id, token_version, expires_at)
     SELECT s.h, a.id, a.token_version, now() + interval '1 hour'
       FROM unnest($1::bytea[], $2::uuid[]) AS s(h, account) JOIN accounts a ON a.id = s.account`,
    [owners.map((id) => createHash('sha256').update(cookies.get(id)!).digest()), owners],
  );

  const page = (t: { id: string; applicant_id: string }) => ({
    path: `/dossiers/${t.id}`,
    headers: { cookie: `portal_session=${cookies.get(t.applicant_id)}`, accept: 'text/html' },
  });
  const json = (t: { id: string; applicant_id: string }) => ({
    path: `/api/v1/applications/${t.id}`,
    headers: { authorization: `Bearer ${env.tokens.get(t.applicant_id)}` },
  });

  const first = await fetch(`${env.apiUrl}${page(targets[0]).path}`, { headers: page(targets[0]).headers });
  const html = await first.text();
  if (first.status !== 200 || !html.includes('<html')) throw new Error(`page sample: HTTP ${first.status}`);
  const gz = await fetch(`${env.apiUrl}${page(targets[0]).path}`, {
    headers: { ...page(targets[0]).headers, 'accept-encoding': 'gzip' },
  });
  const gzipped = gz.headers.get('content-encoding') === 'gzip' ? Number(gz.headers.get('content-length')) : NaN;
  await gz.arrayBuffer();

  const run = async (
    request: (t: { id: string; applicant_id: string }) => { path: string; headers: Record<string, string> },
    seconds: number,
    statuses?: number[],
  ) => {
    let next = 0;
    const t0 = process.hrtime.bigint();
    const result = await cannon(
      {
        url: env.apiUrl,
        connections: env.connections,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const r = request(targets[next++ % targets.length]);
              req.path = r.path;
              req.headers = r.headers;
              return req;
            },
            onResponse: (status) => statuses?.push(status),
          },
        ],
      },
      'page',
    );
    return { result, elapsedS: Number(process.hrtime.bigint() - t0) / 1e9 };
  };

  await run(json, o.warmupS);
  await run(page, o.warmupS);
  const jsonStatuses: number[] = [];
  const pageStatuses: number[] = [];
  await takeStatements(env.api);
  const j = await run(json, o.durationS, jsonStatuses);
  const jsonSeen = await takeStatements(env.api);
  const p = await run(page, o.durationS, pageStatuses);
  const pageSeen = await takeStatements(env.api);
  await ctx.pool.query(`DELETE FROM web_sessions WHERE account_id = ANY($1::uuid[])`, [owners]);

  const jsonOk = jsonStatuses.filter((s) => s === 200).length;
  const pageOk = pageStatuses.filter((s) => s === 200).length;
  const rps = pageOk / p.elapsedS;
  const jsonRps = jsonOk / j.elapsedS;
  return {
    rps: round(rps, 1),
    jsonRps: round(jsonRps, 1),
    ratio: round(rps / jsonRps, 3),
    connections: env.connections,
    durationS: round(p.elapsedS, 1),
    statuses: histogram(pageStatuses),
    jsonStatuses: histogram(jsonStatuses),
    latencyMs: { p50: p.result.latency.p50, p99: p.result.latency.p99 },
    jsonLatencyMs: { p50: j.result.latency.p50, p99: j.result.latency.p99 },
    pageBytes: Buffer.byteLength(html),
    pageBytesGzip: Number.isFinite(gzipped) ? gzipped : null,
    roundTripsPerPage: pageOk ? round(totalOf(pageSeen) / pageOk, 2) : null,
    roundTripsPerJson: jsonOk ? round(totalOf(jsonSeen) / jsonOk, 2) : null,
    statementsPerPage: pageOk ? perOperation(pageSeen, pageOk, 10) : null,
    statementsPerJson: jsonOk ? perOperation(jsonSeen, jsonOk, 10) : null,
  };
}
