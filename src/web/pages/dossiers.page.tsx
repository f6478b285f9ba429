import { Injectable } from '@nestjs/common';
import type { DossierView } from '../../applications/dossier.view';
import { ApplicationsService } from '../../applications/applications.service';
import { NotFound } from '../../common/problem';
import { e } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import type { PageContext, PageRoute } from '../page';
import { stateLabel } from './public.page';

/** What the citizen is asked to do on a dossier now (empty: nothing, the agency has it). */
export function askedOf(tx: Texts, d: DossierView): string[] {
  const asked: string[] = [];
  const say = (key: MessageKey, params?: Record<string, string | number>) => asked.push(tx.t(key, params));
  if (d.state === 'draft') say('dossiers.asked.draft');
  if (d.state === 'supplement_requested' || d.state === 'incomplete') say('dossiers.asked.supplement');
  if (d.payment?.status === 'open') say('dossiers.asked.pay', { amount: tx.money(d.payment.amountVnd) });
  if (d.result && d.state !== 'in_transit') say('dossiers.asked.result');
  if (d.finishedAt && d.result && !d.rating) say('dossiers.asked.rate');
  return asked;
}

/** `/dossiers`: the signed-in citizen's dossiers, through ApplicationsService.list (GET /api/v1/applications). */
@Injectable()
export class DossierPages {
  constructor(private readonly applications: ApplicationsService) {}

  routes(): PageRoute[] {
    return [{ method: 'GET', url: '/dossiers', handler: (c) => this.list(c), signedIn: true }];
  }

  private async list(c: PageContext): Promise<JSX.Element> {
    const { tx } = c;
    const s = c.session!;
    // Staff have their own console: this page is a citizen's.
    if (s.role !== 'citizen') throw new NotFound('page');
    const user = { id: s.accountId, role: s.role, agencyId: s.agencyId };
    const cursor = c.query.cursor && /^[A-Za-z0-9_=-]{1,200}$/.test(c.query.cursor) ? c.query.cursor : undefined;
    const { items, nextCursor } = await this.applications.list(user, 20, cursor);
    return (
      <Layout tx={tx} title={tx.t('dossiers.title')} path={c.path} signedIn csrf={c.csrf()} nav="dossiers">
        <h1 class="govuk-heading-l">{e(tx.t('dossiers.title'))}</h1>
        {items.length === 0 ? (
          <>
            <p class="govuk-body">{e(tx.t('dossiers.none'))}</p>
            <p class="govuk-body">
              <a class="govuk-link" href="/">
                {e(tx.t('dossiers.find'))}
              </a>
            </p>
          </>
        ) : (
          <ul class="govuk-list portal-dossiers" id="dossiers">
            {items.map((d) => this.card(tx, d))}
          </ul>
        )}
        {nextCursor ? (
          <p class="govuk-body">
            <a class="govuk-link" href={`/dossiers?cursor=${encodeURIComponent(nextCursor)}`}>
              {e(tx.t('dossiers.more'))}
            </a>
          </p>
        ) : (
          ''
        )}
      </Layout>
    );
  }

  private card(tx: Texts, d: DossierView): JSX.Element {
    const asked = askedOf(tx, d);
    const title = d.code ?? tx.t('dossiers.draft');
    return (
      <li class="govuk-summary-card" data-dossier={d.id}>
        <div class="govuk-summary-card__title-wrapper">
          <h2 class="govuk-summary-card__title">
            <a class="govuk-link" href={`/dossiers/${d.id}`}>
              {e(d.procedureName)}
            </a>
          </h2>
        </div>
        <div class="govuk-summary-card__content">
          <dl class="govuk-summary-list">
            <div class="govuk-summary-list__row">
              <dt class="govuk-summary-list__key">{e(tx.t('dossiers.code'))}</dt>
              <dd class="govuk-summary-list__value">{e(title)}</dd>
            </div>
            <div class="govuk-summary-list__row">
              <dt class="govuk-summary-list__key">{e(tx.t('dossiers.state'))}</dt>
              <dd class="govuk-summary-list__value">
                <strong class="govuk-tag">{e(stateLabel(tx, d.state, d.stateLabel))}</strong>
              </dd>
            </div>
            <div class="govuk-summary-list__row">
              <dt class="govuk-summary-list__key">{e(tx.t('dossiers.dueAt'))}</dt>
              <dd class="govuk-summary-list__value">
                {e(d.dueAt ? tx.date(d.dueAt) : tx.t('dossiers.dueAt.none'))}
                {d.clockPaused ? ` ${e(tx.t('dossiers.paused'))}` : ''}
              </dd>
            </div>
            <div class="govuk-summary-list__row">
              <dt class="govuk-summary-list__key">{e(tx.t('dossiers.asked'))}</dt>
              <dd class="govuk-summary-list__value">
                {asked.length ? (
                  <ul class="govuk-list">
                    {asked.map((x) => (
                      <li>
                        <strong>{e(x)}</strong>
                      </li>
                    ))}
                  </ul>
                ) : (
                  e(tx.t('dossiers.asked.none'))
                )}
              </dd>
            </div>
          </dl>
        </div>
      </li>
    );
  }
}
