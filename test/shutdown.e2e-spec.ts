import { connect, type Socket } from 'node:net';
import { createTestApp } from './support/app';

/**
 * Shutdown is not held by a connection: a client that connected and sent nothing (Node stops checking its header
 * timeout once the server closes, so it would hold the close for good), and a keep-alive connection. Requests in
 * flight get SHUTDOWN_DRAIN_MS (1 s in tests), then what is still open is cut (src/app.setup.ts). Without that, the
 * close below never ends and the test times out.
 */
describe('shutdown', () => {
  it('closes with a silent connection and a keep-alive connection open; both are cut', async () => {
    const t = await createTestApp();
    const u = new URL(t.url);
    const open = async (): Promise<{ socket: Socket; closed: Promise<void> }> => {
      const socket = connect(Number(u.port), u.hostname);
      socket.on('error', () => undefined); // cut by the server: a reset is expected
      await new Promise((r) => socket.once('connect', r));
      return { socket, closed: new Promise((r) => socket.once('close', () => r())) };
    };
    const silent = await open();
    const keepAlive = await open();
    // A complete request on a keep-alive connection, answered; then a second one begun and never finished.
    keepAlive.socket.write(`GET /api/v1/health HTTP/1.1\r\nHost: ${u.host}\r\nConnection: keep-alive\r\n\r\n`);
    await new Promise((r) => keepAlive.socket.once('data', r));
    keepAlive.socket.write(`GET /api/v1/health HTTP/1.1\r\nHost: ${u.host}\r\n`);

    await t.close();
    await Promise.all([silent.closed, keepAlive.closed]);
    expect(silent.socket.destroyed).toBe(true);
    expect(keepAlive.socket.destroyed).toBe(true);
  });
});
