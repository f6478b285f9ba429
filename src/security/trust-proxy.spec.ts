import Fastify from 'fastify';
import { trustProxySetting } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, 192.168.1.1', ['10.0.0.0/8', '192.168.1.1']],
  ])('%j -> %j', (raw, expected) => {
    expect(trustProxySetting(raw)).toEqual(expected);
  });

  async function ipSeen(setting: string, xff: string): Promise<string> {
    const app = Fastify({ trustProxy: trustProxySetting(setting) as never });
    app.get('/', (req) => req.ip);
    const res = await app.inject({ url: '/', headers: { 'x-forwarded-for': xff }, remoteAddress: '10.0.0.5' });
    await app.close();
    return res.body;
  }

  it('with the number of proxies, a client cannot choose its address by sending X-Forwarded-For', async () => {
    // The client sent "6.6.6.6"; the one load balancer appended the address it saw.
    expect(await ipSeen('1', '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
    expect(await ipSeen('10.0.0.0/8', '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
    // Trusting every hop believes the client.
    expect(await ipSeen('true', '6.6.6.6, 203.0.113.7')).toBe('6.6.6.6');
    // No proxy: the socket.
    expect(await ipSeen('false', '6.6.6.6')).toBe('10.0.0.5');
  });
});
