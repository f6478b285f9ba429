import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The headers @fastify/helmet gives an answer with these options, found once by asking a throwaway Fastify
 * instance with and without it for an empty answer. With the portal's options nothing depends on the request (no
 * CSP here, so no nonce: each page sets its own Content-Security-Policy), so every answer gets the same headers.
 */
export async function securityHeaders(options: FastifyHelmetOptions): Promise<[string, string][]> {
  const headersOf = async (withHelmet: boolean) => {
    const probe = Fastify({ logger: false });
    if (withHelmet) await probe.register(helmet, options);
    probe.get('/', (_req, reply) => reply.send(''));
    const res = await probe.inject('/');
    await probe.close();
    return res.headers;
  };
  const [plain, helmeted] = await Promise.all([headersOf(false), headersOf(true)]);
  return Object.entries(helmeted)
    .filter(([name]) => !(name in plain))
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]);
}

/**
 * Every answer (API, pages, assets, errors, the OpenAPI document) gets helmet's headers, set in one hook on the
 * response, where @fastify/helmet put them. @fastify/helmet itself built helmet's whole middleware chain from the
 * options again on every request, in two hooks.
 */
export async function addSecurityHeaders(fastify: FastifyInstance, options: FastifyHelmetOptions): Promise<void> {
  const headers = await securityHeaders(options);
  if (headers.length === 0) throw new Error('helmet set no header');
  fastify.addHook('onRequest', (_req, reply, done) => {
    const res = reply.raw;
    for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
    done();
  });
}
