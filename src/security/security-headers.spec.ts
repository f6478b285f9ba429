import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import { addSecurityHeaders, securityHeaders } from './security-headers';

const OPTIONS = { contentSecurityPolicy: false } as const;

/** An app with a JSON route, a route that throws and (implicitly) a 404, protected one way or the other. */
async function app(protect: 'plugin' | 'hook') {
  const f = Fastify({ logger: false });
  if (protect === 'plugin') await f.register(helmet, OPTIONS);
  else await addSecurityHeaders(f, OPTIONS);
  f.get('/json', () => ({ ok: true }));
  f.get('/fail', () => {
    throw new Error('boom');
  });
  return f;
}

const withoutDate = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date'));

describe('security headers computed once', () => {
  it('are helmet’s: HSTS, nosniff, frame and referrer policies, and no CSP (pages set their own)', async () => {
    const headers = Object.fromEntries(await securityHeaders(OPTIONS));
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/max-age=\d{7,}/),
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(headers).not.toHaveProperty('content-security-policy');
    expect(headers).not.toHaveProperty('content-type');
    expect(headers).not.toHaveProperty('content-length');
  });

  it('an answer, an error and a 404 carry exactly what @fastify/helmet gave them', async () => {
    const [plugin, hook] = await Promise.all([app('plugin'), app('hook')]);
    for (const url of ['/json', '/fail', '/nowhere']) {
      const [a, b] = await Promise.all([plugin.inject(url), hook.inject(url)]);
      expect({ url, status: b.statusCode, headers: withoutDate(b.headers) }).toEqual({
        url,
        status: a.statusCode,
        headers: withoutDate(a.headers),
      });
    }
    await Promise.all([plugin.close(), hook.close()]);
  });
});
