import { Injectable } from '@nestjs/common';
import { QUEUES } from '../../jobs/jobs';
import { FailedJob, OpsService } from '../../ops/ops.service';
import type { UndeliveredMessage } from '../../notifications/notifications.repository';
import { Csrf, e } from '../components';
import type { Texts } from '../i18n';
import { Layout } from '../layout';
import { PageContext, PageRoute, Redirect } from '../page';
import { adminUser, AdminNotice } from './admin.page';
import { NotFound } from '../../common/problem';

/** A BullMQ job id as this portal makes them (outbox ids, scheduler ids): anything else is not found. */
const JOB_ID = /^[A-Za-z0-9:_.-]{1,200}$/;

/**
 * `/admin/notifications`: the notification jobs that ran out of attempts (with a retry each) and the messages not
 * delivered, through the OpsService the ops API uses. The queues themselves: Bull Board at /admin/queues.
 */
@Injectable()
export class AdminOpsPages {
  constructor(private readonly ops: OpsService) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/admin/notifications', signedIn: true, handler: (c) => this.list(c) },
      { method: 'POST', url: '/admin/notifications/:id/retry', signedIn: true, handler: (c) => this.retry(c) },
    ];
  }

  private async list(c: PageContext): Promise<JSX.Element> {
    adminUser(c);
    const { tx } = c;
    const [jobs, messages] = await Promise.all([
      this.ops.failed(QUEUES.notifications, 50),
      this.ops.notifications('failed', 50),
    ]);
    return (
      <Layout
        tx={tx}
        title={tx.t('admin.ops.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="admin"
        role={c.session?.role}
      >
        <AdminNotice c={c} />
        <h1 class="govuk-heading-l">{e(tx.t('admin.ops.title'))}</h1>
        <p class="govuk-body">{e(tx.t('admin.ops.intro'))}</p>
        <p class="govuk-body">
          <a class="govuk-link" href="/admin/queues">
            {e(tx.t('admin.ops.queues'))}
          </a>
        </p>
        <h2 class="govuk-heading-m">{e(tx.t('admin.ops.jobs'))}</h2>
        {jobs.length === 0 ? (
          <p class="govuk-body">{e(tx.t('admin.ops.jobs.none'))}</p>
        ) : (
          <ul class="govuk-list" id="failed-jobs">
            {jobs.map((j) => this.job(c, j))}
          </ul>
        )}
        <h2 class="govuk-heading-m">{e(tx.t('admin.ops.messages'))}</h2>
        {messages.length === 0 ? (
          <p class="govuk-body">{e(tx.t('admin.ops.messages.none'))}</p>
        ) : (
          <ul class="govuk-list" id="failed-messages">
            {messages.map((m) => message(tx, m))}
          </ul>
        )}
      </Layout>
    );
  }

  private job(c: PageContext, j: FailedJob): JSX.Element {
    const { tx } = c;
    const data = (j.data ?? {}) as { event?: unknown; dossierId?: unknown };
    const id = j.id ?? '';
    return (
      <li class="govuk-summary-card" data-job={id}>
        <div class="govuk-summary-card__title-wrapper">
          <h3 class="govuk-summary-card__title">{e(tx.t('admin.ops.job', { id }))}</h3>
        </div>
        <div class="govuk-summary-card__content">
          <dl class="govuk-summary-list">
            {row(tx.t('admin.ops.event'), `${j.name}: ${typeof data.event === 'string' ? data.event : ''}`)}
            {row(
              tx.t('admin.ops.dossier'),
              typeof data.dossierId === 'string' ? data.dossierId : tx.t('admin.ops.none'),
            )}
            {row(tx.t('admin.ops.attempts'), String(j.attemptsMade))}
            {row(tx.t('admin.ops.reason'), j.failedReason)}
            {row(tx.t('admin.ops.failedAt'), j.failedAt ? tx.dateTime(j.failedAt) : tx.t('admin.ops.none'))}
          </dl>
          {JOB_ID.test(id) ? (
            <form method="post" action={`/admin/notifications/${encodeURIComponent(id)}/retry`}>
              <Csrf token={c.csrf()} />
              <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">
                {e(tx.t('admin.ops.retry'))}
                <span class="govuk-visually-hidden"> {e(tx.t('admin.ops.job', { id }))}</span>
              </button>
            </form>
          ) : (
            ''
          )}
        </div>
      </li>
    );
  }

  private async retry(c: PageContext) {
    adminUser(c);
    const id = (c.req.params as { id?: string }).id ?? '';
    if (!JOB_ID.test(id)) throw new NotFound('job');
    await this.ops.retry(QUEUES.notifications, id);
    return new Redirect('/admin/notifications?notice=job-retried');
  }
}

function row(key: string, value: string): JSX.Element {
  return (
    <div class="govuk-summary-list__row">
      <dt class="govuk-summary-list__key">{e(key)}</dt>
      <dd class="govuk-summary-list__value">{e(value)}</dd>
    </div>
  );
}

function message(tx: Texts, m: UndeliveredMessage): JSX.Element {
  return (
    <li class="govuk-summary-card" data-message={m.id}>
      <div class="govuk-summary-card__title-wrapper">
        <h3 class="govuk-summary-card__title">{e(tx.t('admin.ops.message', { id: m.id }))}</h3>
      </div>
      <div class="govuk-summary-card__content">
        <dl class="govuk-summary-list">
          {row(tx.t('admin.ops.event'), m.event)}
          {row(tx.t('admin.ops.channel'), m.channel)}
          {row(tx.t('admin.ops.dossier'), m.dossierId ?? tx.t('admin.ops.none'))}
          {row(tx.t('admin.ops.attempts'), String(m.attempts))}
          {row(tx.t('admin.ops.reason'), m.lastError ?? tx.t('admin.ops.none'))}
          {row(tx.t('admin.ops.createdAt'), tx.dateTime(m.createdAt))}
        </dl>
      </div>
    </li>
  );
}
