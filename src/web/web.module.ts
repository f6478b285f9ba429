import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AgenciesModule } from '../agencies/agencies.module';
import { ApplicationsModule } from '../applications/applications.module';
import { AuthModule } from '../auth/auth.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { PaymentsModule } from '../payments/payments.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { ReportsModule } from '../reports/reports.module';
import { AccountPages } from './pages/account.page';
import { AdminProcedurePages } from './pages/admin-procedures.page';
import { CatalogPages } from './pages/catalog.page';
import { DossierPage } from './pages/dossier.page';
import { DossierPages } from './pages/dossiers.page';
import { FilingPages } from './pages/filing.page';
import { PublicPages } from './pages/public.page';
import { RecoveryPages } from './pages/recovery.page';
import { StaffAssignPages } from './pages/staff-assign.page';
import { StaffReportsPages } from './pages/staff-reports.page';
import { StaffDossierPage } from './pages/staff-dossier.page';
import { StaffQueuePage } from './pages/staff-queue.page';
import { PageRateLimit } from './rate-limit';
import { WebRouter } from './web.router';
import { WebSessions } from './web-sessions';
import { WebSessionsRepository } from './web-sessions.repository';

/**
 * The citizen pages (server-rendered HTML over the same services as the API, outside /api/v1). Mounted by the
 * HTTP roles, after SecurityModule (the pages share the API's rate limits). See src/web/web.router.ts.
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
  ],
  providers: [
    WebSessionsRepository,
    WebSessions,
    PageRateLimit,
    WebRouter,
    CatalogPages,
    AccountPages,
    PublicPages,
    RecoveryPages,
    DossierPages,
    FilingPages,
    DossierPage,
    StaffReportsPages,
    StaffAssignPages,
    AdminProcedurePages,
    StaffQueuePage,
    StaffDossierPage,
  ],
  exports: [WebRouter],
})
export class WebModule implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly router: WebRouter,
    private readonly catalog: CatalogPages,
    private readonly account: AccountPages,
    private readonly publicPages: PublicPages,
    private readonly recovery: RecoveryPages,
    private readonly dossiers: DossierPages,
    private readonly filing: FilingPages,
    private readonly dossier: DossierPage,
    private readonly staffReports: StaffReportsPages,
    private readonly staffAssign: StaffAssignPages,
    private readonly adminProcedures: AdminProcedurePages,
    private readonly staffQueue: StaffQueuePage,
    private readonly staffDossier: StaffDossierPage,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    this.router.register(fastify, [
      ...this.catalog.routes(),
      ...this.account.routes(),
      ...this.publicPages.routes(),
      ...this.recovery.routes(),
      ...this.dossiers.routes(),
      ...this.filing.routes(),
      ...this.dossier.routes(),
      ...this.staffReports.routes(),
      ...this.staffAssign.routes(),
      ...this.adminProcedures.routes(),
      ...this.staffQueue.routes(),
      ...this.staffDossier.routes(),
    ]);
  }
}
