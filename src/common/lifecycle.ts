import { environmentValue } from '../config/configuration';

/**
 * Graceful shutdown: on SIGTERM the API first says it is going away (health
 * answers 503 so a load balancer stops sending), keeps serving what it
 * receives for SHUTDOWN_GRACE_MS, then closes: Fastify stops accepting and
 * finishes the requests in flight, queues and workers close, the pool ends.
 */
let shuttingDown = false;

export function isShuttingDown(): boolean {
  return shuttingDown;
}

export function onTerminate(close: () => Promise<void>, graceMs = environmentValue('SHUTDOWN_GRACE_MS')): void {
  let started = false;
  const handler = async () => {
    if (started) return;
    started = true;
    shuttingDown = true;
    await new Promise((r) => setTimeout(r, graceMs));
    try {
      await close();
      process.exit(0);
    } catch (e) {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void handler());
  process.on('SIGTERM', () => void handler());
}
