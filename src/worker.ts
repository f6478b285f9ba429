import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { prepareInfrastructure } from './bootstrap';
import { onTerminate } from './common/lifecycle';
import { loadConfig } from './config/configuration';
import { metricsLine } from './metrics/metrics.http';

/** The worker process: BullMQ processors and the outbox relay; no HTTP but its metrics on METRICS_PORT (src/metrics). */
export async function runWorker(): Promise<void> {
  const infra = await prepareInfrastructure((line) => console.log(line));
  const ctx = await NestFactory.createApplicationContext(AppModule.forRole('worker'), { bufferLogs: true });
  ctx.useLogger(ctx.get(Logger));
  console.log('portal worker running');
  console.log(metricsLine('worker', loadConfig(), ''));
  // Workers finish their active jobs on close (BullMQ waits for them).
  onTerminate(async () => {
    await ctx.close();
    await infra.stop();
  }, 0);
}

if (require.main === module) {
  runWorker().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
