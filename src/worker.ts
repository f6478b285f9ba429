import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { prepareInfrastructure } from './bootstrap';

/** The worker process: BullMQ processors and the outbox relay, no HTTP. */
export async function runWorker(): Promise<void> {
  const infra = await prepareInfrastructure((line) => console.log(line));
  const ctx = await NestFactory.createApplicationContext(AppModule.forRole('worker'), { bufferLogs: true });
  ctx.useLogger(ctx.get(Logger));
  ctx.enableShutdownHooks();
  console.log('portal worker running');
  const shutdown = async () => {
    await ctx.close();
    await infra.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  runWorker().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
