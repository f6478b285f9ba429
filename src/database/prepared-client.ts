import { Client, type ClientConfig, type QueryConfig } from 'pg';

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * A prepared statement whose result columns changed under it (a migration added a column to a table it reads
 * with `*`, typically while an older replica still runs): Postgres refuses to run its cached plan.
 */
const isStalePlan = (e: unknown): boolean =>
  (e as { code?: string } | null)?.code === '0A000' && /cached plan must not change result type/.test(String(e));

/**
 * The pool's connection class (pg-pool's `Client` option): a statement sent with parameters is sent as a named
 * prepared statement, so each connection parses and plans it once instead of on every call (Postgres spent more time
 * planning the submit's statements than running them: 2.9 ms of 7 ms per submission). Same text, same name, on
 * every connection of the process; what the repositories send is unchanged.
 *
 * Bounded: at most `limit` distinct texts get a name (a statement built with inlined values would otherwise
 * prepare without end on every connection); the rest go unnamed, as before. `limit` 0 turns it off, for a
 * connection pooler that moves transactions between server connections (PgBouncer in transaction mode before 1.21
 * cannot keep a prepared statement).
 *
 * A schema change under a running process (a newer replica migrated): the first call of a stale statement fails
 * with "cached plan must not change result type"; the connection then prepares its statements afresh under new
 * names (a generation per connection), and the call is run again at once when it was not inside a transaction.
 * Inside one it fails (the transaction is already aborted), once per connection.
 */
export function preparingClient(limit: number): typeof Client {
  const numbers = new Map<string, number>();
  const numberOf = (text: string): number | undefined => {
    let n = numbers.get(text);
    if (n === undefined && numbers.size < limit) {
      n = numbers.size + 1;
      numbers.set(text, n);
    }
    return n;
  };
  return class PreparingClient extends Client {
    /** Bumped when the schema changed under this connection's prepared statements: they are prepared again. */
    private generation = 0;

    constructor(config?: string | ClientConfig) {
      super(config);
    }

    // pg's overloads cannot be restated one by one here; the arguments pass through untouched but for the name.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: unknown[]): any {
      const run = super.query.bind(this) as (...a: unknown[]) => unknown;
      const [text, values, callback] = args;
      if (limit === 0 || typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return run(...args);
      const n = numberOf(text);
      if (n === undefined) return run(...args);
      // Outside a transaction a failed call changed nothing and may simply be sent again.
      const idle = this.getTransactionStatus() === 'I';
      const named = () =>
        run({ name: `p${n}.${this.generation}`, text, values } satisfies QueryConfig) as Promise<unknown>;
      const answer = named().catch((err: unknown) => {
        if (!isStalePlan(err)) throw err;
        this.generation++;
        if (!idle) throw err;
        return named();
      });
      if (typeof callback !== 'function') return answer;
      // pg's callback style (pg.Pool#query): the same answer, handed to the callback.
      answer.then(
        (result) => (callback as Callback)(null, result),
        (err: Error) => (callback as Callback)(err),
      );
    }
  };
}
