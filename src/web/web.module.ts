import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AgenciesModule } from '../agencies/agencies.module';
import { ApplicationsModule } from '../applications/applications.module';
import { CounterModule } from '../counter/counter.module';
import { FormsCoreModule } from '../forms/forms.module';
import { AuthModule } from '../auth/auth.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OpsModule } from '../ops/ops.module';
import { PaymentsModule } from '../payments/payments.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { ReportsModule } from '../reports/reports.module';
import { AccountPages } from './pages/account.page';
import { AdminProcedurePages } from './pages/admin-procedures.page';
import { AdminPages } from './pages/admin.page';
import { AdminAgencyPages } from './pages/admin-agencies.page';
import { AdminOpsPages } from './pages/admin-ops.page';
import { AdminStaffPages } from './pages/admin-staff.page';
import { CatalogPages } from './pages/catalog.page';
import { DossierPage } from './pages/dossier.page';
import { DossierPages } from './pages/dossiers.page';
import { EidPages } from './pages/eid.page';
import { FilingPages } from './pages/filing.page';
import { MfaPages } from './pages/mfa.page';
import { MfaPending } from './mfa-pending';
import { PublicPages } from './pages/public.page';
import { RecoveryPages } from './pages/recovery.page';
import { StaffAssignPages } from './pages/staff-assign.page';
import { StaffReportsPages } from './pages/staff-reports.page';
import { StaffDossierPage } from './pages/staff-dossier.page';
import { StaffQueuePage } from './pages/staff-queue.page';
import { StaffCounterPages } from './pages/staff-counter.page';
import type { PageRoute } from './page';
import { QueueBoard } from './queue-board';
import { PageRateLimit } from './rate-limit';
import { WebRouter } from './web.router';
import { WebSessions } from './web-sessions';
import { WebSessionsRepository } from './web-sessions.repository';

/** Every page class: each gives its routes (`routes(): PageRoute[]`); adding a page group is one line here. */
const PAGES = [
  CatalogPages,
  AccountPages,
  RecoveryPages,
  PublicPages,
  DossierPages,
  FilingPages,
  DossierPage,
  StaffQueuePage,
  StaffDossierPage,
  StaffAssignPages,
  StaffReportsPages,
  StaffCounterPages,
  AdminPages,
  AdminAgencyPages,
  AdminStaffPages,
  AdminProcedurePages,
  AdminOpsPages,
  MfaPages,
  EidPages,
] as const;

/**
 * The pages (server-rendered HTML over the same services as the API, outside /api/v1): the citizen portal, the
 * staff console (/staff) and administration (/admin, with Bull Board at /admin/queues). Mounted by the HTTP roles,
 * after SecurityModule (the pages share the API's rate limits). See src/web/web.router.ts.
 */
@Module({
  imports: [
    AuthModule,
    ProceduresModule,
    ApplicationsModule,
    DeliveryModule,
    PaymentsModule,
    AgenciesModule,
    ReportsModule,
    NotificationsModule,
    OpsModule,
    CounterModule,
    FormsCoreModule,
  ],
  providers: [WebSessionsRepository, WebSessions, MfaPending, PageRateLimit, WebRouter, QueueBoard, ...PAGES],
  exports: [WebRouter],
})
export class WebModule implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    private readonly router: WebRouter,
    private readonly queueBoard: QueueBoard,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    this.router.register(
      fastify,
      PAGES.flatMap((page) => this.moduleRef.get<{ routes(): PageRoute[] }>(page).routes()),
    );
    // Bull Board at /admin/queues, for administrators' page sessions (served only here: the HTTP roles).
    this.queueBoard.mount(fastify);
  }
}
