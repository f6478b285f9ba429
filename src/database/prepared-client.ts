import { Client, type ClientConfig, type QueryConfig } from 'pg';

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
 */
export function preparingClient(limit: number): typeof Client {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < limit) {
      name = `p${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
  return class PreparingClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
    }

    // pg's overloads cannot be restated one by one here; the arguments pass through untouched but for the name.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: unknown[]): any {
      const run = super.query.bind(this) as (...a: unknown[]) => unknown;
      const [text, values] = args;
      if (limit > 0 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
        const name = nameOf(text);
        if (name) {
          const config: QueryConfig = { name, text, values };
          return run(config, ...args.slice(2));
        }
      }
      return run(...args);
    }
  };
}
