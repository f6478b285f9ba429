/**
 * Fastify's `trustProxy` from TRUST_PROXY. The client address feeds the rate
 * limits, so whom to believe about it matters:
 *
 * - `false` / empty: the socket's address (no proxy in front);
 * - a number N: trust the last N hops of X-Forwarded-For (N proxies of yours
 *   in front, each appending the address it saw): a client cannot choose its
 *   address by sending the header itself. Use this behind a load balancer.
 * - addresses or CIDRs, comma-separated: trust hops from those proxies only;
 * - `true`: trust every hop, i.e. the left-most X-Forwarded-For value, which
 *   the client writes. Only for a proxy that overwrites the header (and tests).
 */
export function trustProxySetting(raw: string | undefined): boolean | number | string[] {
  const v = (raw ?? '').trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
