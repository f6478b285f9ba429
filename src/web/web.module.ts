import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AgenciesModule } from '../agencies/agencies.module';
import { ApplicationsModule } from '../applications/applications.module';
import { AuthModule } from '../auth/auth.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { OpsModule } from '../ops/ops.module';
import { PaymentsModule } from '../payments/payments.module';
import { ProceduresModule } from '../procedures/procedures.module';
import { AccountPages } from './pages/account.page';
import { AdminPages } from './pages/admin.page';
import { AdminAgencyPages } from './pages/admin-agencies.page';
import { AdminOpsPages } from './pages/admin-ops.page';
import { AdminStaffPages } from './pages/admin-staff.page';
import { CatalogPages } from './pages/catalog.page';
import { DossierPage } from './pages/dossier.page';
import { DossierPages } from './pages/dossiers.page';
import { FilingPages } from './pages/filing.page';
import { PublicPages } from './pages/public.page';
import { RecoveryPages } from './pages/recovery.page';
import { QueueBoard } from './queue-board';
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
    OpsModule,
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
    AdminPages,
    AdminAgencyPages,
    AdminStaffPages,
    AdminOpsPages,
    QueueBoard,
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
    private readonly admin: AdminPages,
    private readonly adminAgencies: AdminAgencyPages,
    private readonly adminStaff: AdminStaffPages,
    private readonly adminOps: AdminOpsPages,
    private readonly queueBoard: QueueBoard,
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
      ...this.admin.routes(),
      ...this.adminAgencies.routes(),
      ...this.adminStaff.routes(),
      ...this.adminOps.routes(),
    ]);
    // Bull Board at /admin/queues, for administrators' page sessions (served only here: the HTTP roles).
    this.queueBoard.mount(fastify);
  }
}
