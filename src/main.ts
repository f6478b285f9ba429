import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createAdapter } from './app.setup';
import { prepareInfrastructure } from './bootstrap';
import { type AppConfig, loadConfig } from './config/configuration';
import { onTerminate } from './common/lifecycle';
import { metricsLine } from './metrics/metrics.http';
import { runWorker } from './worker';

/** The HTTP API; with PORTAL_ROLE=all (the default) the worker runs in the same process. */
async function main(): Promise<void> {
  const env = loadConfig();
  const { PORTAL_ROLE: role, PORT: port, HOST: host } = env;
  if (role === 'worker') return runWorker();
  const infra = await prepareInfrastructure((line) => console.log(line));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRole(role), createAdapter(), {
    bufferLogs: true,
    rawBody: true,
  });
  await configureApp(app);
  await app.listen(port, host);
  const config = app.get(ConfigService<AppConfig, true>);
  const base = config.get('PUBLIC_BASE_URL', { infer: true });
  console.log(
    `portal (${role}) listening: ${base}/api/v1${config.get('DOCS_ENABLED', { infer: true }) === 'true' ? `  docs: ${base}/docs` : ''}`,
  );
  console.log(metricsLine(role, env, base));
  onTerminate(async () => {
    await app.close();
    await infra.stop();
  });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
