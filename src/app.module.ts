import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AgenciesModule } from './agencies/agencies.module';
import { ApplicationsModule } from './applications/applications.module';
import { AuthModule } from './auth/auth.module';
import { CounterModule } from './counter/counter.module';
import { DeliveryModule, DeliveryWorkerModule } from './delivery/delivery.module';
import { defaultDestination, loggerParams } from './common/logging';
import { AppConfig, loadConfig, validateEnvironment } from './config/configuration';
import { redisOptions } from './config/redis';
import { dataSourceOptions } from './database/data-source';
import { FormsModule } from './forms/forms.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsWorkerModule } from './notifications/notifications.module';
import { OpsModule } from './ops/ops.module';
import { OutboxModule } from './outbox/outbox.module';
import { OutboxRelay } from './outbox/outbox.relay';
import { PaymentsModule, PaymentsWorkerModule } from './payments/payments.module';
import { ProceduresModule } from './procedures/procedures.module';
import { ReportsModule } from './reports/reports.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { SecurityModule } from './security/security.module';
import { SigningModule } from './signing/signing.module';
import { StorageModule } from './storage/storage.module';
import { WebModule } from './web/web.module';

export type PortalRole = 'api' | 'worker' | 'all';

/** Worker side: BullMQ processors and the outbox relay. No HTTP. */
@Module({
  imports: [NotificationsWorkerModule, PaymentsWorkerModule, DeliveryWorkerModule],
  providers: [OutboxRelay],
  exports: [OutboxRelay],
})
export class WorkerModule {}

/** The validated SANDBOX_ENABLED (an environment that does not validate mounts nothing; ConfigModule then refuses it). */
function sandboxEnabled(): boolean {
  try {
    return loadConfig().SANDBOX_ENABLED === 'true';
  } catch {
    return false;
  }
}

@Module({})
export class AppModule {
  /** One codebase, two entry points: `api` serves HTTP, `worker` runs jobs, `all` does both in one process. */
  static forRole(role: PortalRole): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (c: ConfigService<AppConfig, true>) =>
            loggerParams(c.get('LOG_LEVEL', { infer: true }), defaultDestination(c.get('NODE_ENV', { infer: true }))),
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (c: ConfigService<AppConfig, true>) => dataSourceOptions(c.get('DATABASE_URL', { infer: true })),
        }),
        BullModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (c: ConfigService<AppConfig, true>) => ({
            // Workers reconnect quickly after an outage; the only producer (the outbox relay) bounds its own
            // wait, so a Redis outage delays work and never loses or blocks it.
            connection: {
              ...redisOptions(c.get('REDIS_URL', { infer: true })),
              maxRetriesPerRequest: null,
              retryStrategy: (times: number) => Math.min(250 * times, 2000),
            },
            prefix: c.get('REDIS_PREFIX', { infer: true }),
          }),
        }),
        JobsModule,
        OutboxModule,
        // Prometheus metrics and the jobs' logging context, every role (src/metrics).
        MetricsModule,
        StorageModule,
        SigningModule,
        AuthModule,
        AgenciesModule,
        ProceduresModule,
        ApplicationsModule,
        PaymentsModule,
        DeliveryModule,
        ReportsModule,
        FormsModule,
        CounterModule,
        OpsModule,
        HealthModule,
        // Rate limits on sign-in and the public lookup (HTTP roles only).
        ...(role !== 'worker' ? [SecurityModule] : []),
        // The citizen pages (server-rendered HTML outside /api/v1, src/web).
        ...(role !== 'worker' ? [WebModule] : []),
        // The built-in provider sandboxes: mounted only when SANDBOX_ENABLED is on, and guarded anyway (src/sandbox).
        ...(role !== 'worker' && sandboxEnabled() ? [SandboxModule] : []),
        ...(role === 'api' ? [] : [WorkerModule]),
      ],
    };
  }
}
