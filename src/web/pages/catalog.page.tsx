import { Injectable } from '@nestjs/common';
import type { ProcedureView } from '../../procedures/dto';
import { ProceduresService } from '../../procedures/procedures.service';
import { Button, e, Input, Notice, Select, SummaryList } from '../components';
import type { Texts } from '../i18n';
import { Layout } from '../layout';
import type { PageContext, PageRoute } from '../page';
import { CatalogFilter, searchCatalog } from '../search';

/** `/`: the catalog with its search and filters; `/procedures/:code`: one procedure, with "Start". */
@Injectable()
export class CatalogPages {
  constructor(private readonly procedures: ProceduresService) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/', handler: (c) => this.search(c) },
      { method: 'GET', url: '/procedures/:code', handler: (c) => this.procedure(c) },
    ];
  }

  private async search(c: PageContext): Promise<JSX.Element> {
    const { tx, query } = c;
    const all = await this.procedures.catalog();
    const filter: CatalogFilter = {
      q: (query.q ?? '').slice(0, 200),
      agency: query.agency || undefined,
      level: query.level === 'full' || query.level === 'partial' ? query.level : undefined,
      fee: query.fee === 'exempt' || query.fee === 'paid' ? query.fee : undefined,
    };
    const found = searchCatalog(all, filter);
    const agencies = [...new Map(all.map((p) => [p.agencyCode, p.agencyName])).entries()];
    const any = { value: '', label: tx.t('catalog.any') };
    return (
      <Layout tx={tx} title={tx.t('catalog.title')} path={c.path} signedIn={!!c.session} csrf={c.csrf()} nav="search">
        {c.notice ? <Notice tx={tx}>{e(tx.t(c.notice))}</Notice> : ''}
        <h1 class="govuk-heading-xl">{e(tx.t('catalog.title'))}</h1>
        <p class="govuk-body-l">{e(tx.t('catalog.lead'))}</p>
        <form method="get" action="/" role="search">
          <Input
            tx={tx}
            name="q"
            type="search"
            label={tx.t('catalog.q')}
            hint={tx.t('catalog.q.hint')}
            value={filter.q}
          />
          <details class="govuk-details" open={!!(filter.agency || filter.level || filter.fee)}>
            <summary class="govuk-details__summary">
              <span class="govuk-details__summary-text">{e(tx.t('catalog.filters'))}</span>
            </summary>
            <div class="govuk-details__text">
              <Select
                tx={tx}
                name="agency"
                label={tx.t('catalog.agency')}
                value={filter.agency}
                choices={[any, ...agencies.map(([value, label]) => ({ value, label }))]}
              />
              <Select
                tx={tx}
                name="level"
                label={tx.t('catalog.level')}
                value={filter.level}
                choices={[
                  any,
                  { value: 'full', label: tx.t('level.full') },
                  { value: 'partial', label: tx.t('level.partial') },
                ]}
              />
              <Select
                tx={tx}
                name="fee"
                label={tx.t('catalog.fee')}
                value={filter.fee}
                choices={[
                  any,
                  { value: 'exempt', label: tx.t('catalog.fee.exempt') },
                  { value: 'paid', label: tx.t('catalog.fee.paid') },
                ]}
              />
            </div>
          </details>
          <Button>{e(tx.t('catalog.submit'))}</Button>
        </form>
        <h2 class="govuk-heading-m" id="results">
          {e(tx.t('catalog.count', { count: found.length }))}
        </h2>
        {found.length === 0 ? (
          <p class="govuk-body">{e(tx.t('catalog.none'))}</p>
        ) : (
          <ul class="portal-results" aria-labelledby="results">
            {found.map((p) => (
              <ProcedureItem tx={tx} p={p} />
            ))}
          </ul>
        )}
      </Layout>
    );
  }

  private async procedure(c: PageContext): Promise<JSX.Element> {
    const { tx } = c;
    const code = (c.req.params as { code: string }).code;
    const p = await this.procedures.findPublished(code);
    const start = `/dossiers/new?procedure=${encodeURIComponent(p.code)}`;
    return (
      <Layout tx={tx} title={p.name} path={c.path} signedIn={!!c.session} csrf={c.csrf()} nav="search">
        <a href="/" class="govuk-back-link">
          {e(tx.t('procedure.back'))}
        </a>
        <span class="govuk-caption-l">{e(p.agencyName)}</span>
        <h1 class="govuk-heading-l">{e(p.name)}</h1>
        <SummaryList
          rows={[
            [tx.t('procedure.code'), e(p.code)],
            [tx.t('procedure.agency'), e(p.agencyName)],
            [tx.t('procedure.level'), e(tx.t(p.level === 'partial' ? 'level.partial' : 'level.full'))],
            [tx.t('procedure.days'), e(tx.t('procedure.days.value', { days: p.processingDays }))],
            [tx.t('procedure.delivery'), <Delivery tx={tx} p={p} />],
          ]}
        />
        <h2 class="govuk-heading-m">{e(tx.t('procedure.fees'))}</h2>
        <Fees tx={tx} p={p} />
        <h2 class="govuk-heading-m">{e(tx.t('procedure.documents'))}</h2>
        {p.requiredDocuments.length === 0 ? (
          <p class="govuk-body">{e(tx.t('procedure.documents.none'))}</p>
        ) : (
          <ul class="govuk-list govuk-list--bullet">
            {p.requiredDocuments.map((d) => (
              <li>
                {e(d.name)} ({e(tx.t(d.required ? 'procedure.documents.required' : 'procedure.documents.optional'))})
              </li>
            ))}
          </ul>
        )}
        {c.session ? '' : <p class="govuk-body">{e(tx.t('procedure.start.signin'))}</p>}
        <a
          href={start}
          role="button"
          draggable="false"
          class="govuk-button govuk-button--start"
          data-module="govuk-button"
        >
          {e(tx.t('procedure.start'))}
          <svg
            class="govuk-button__start-icon"
            xmlns="http://www.w3.org/2000/svg"
            width="17.5"
            height="19"
            viewBox="0 0 33 40"
            aria-hidden="true"
            focusable="false"
          >
            <path fill="currentColor" d="M0 0h13l20 20-20 20H0l20-20z" />
          </svg>
        </a>
      </Layout>
    );
  }
}

function ProcedureItem({ tx, p }: { tx: Texts; p: ProcedureView }): JSX.Element {
  return (
    <li>
      <h3 class="govuk-heading-s govuk-!-margin-bottom-1">
        <a class="govuk-link" href={`/procedures/${encodeURIComponent(p.code)}`}>
          {e(p.name)}
        </a>
      </h3>
      <p class="govuk-body-s govuk-!-margin-bottom-0">
        {e(p.agencyName)} · {e(tx.t(p.level === 'partial' ? 'level.partial' : 'level.full'))} ·{' '}
        {e(p.totalFee > 0 ? tx.money(p.totalFee) : tx.t('procedure.fees.none'))} ·{' '}
        {e(tx.t('procedure.days.value', { days: p.processingDays }))}
      </p>
    </li>
  );
}

function Delivery({ tx, p }: { tx: Texts; p: ProcedureView }): JSX.Element {
  return (
    <ul class="govuk-list">
      {p.deliveryOptions.map((o) => (
        <li>
          {e(
            o === 'post'
              ? tx.t('procedure.delivery.post', { fee: tx.money(p.postalFee) })
              : tx.t('procedure.delivery.online'),
          )}
        </li>
      ))}
    </ul>
  );
}

function Fees({ tx, p }: { tx: Texts; p: ProcedureView }): JSX.Element {
  if (p.fees.length === 0) return <p class="govuk-body">{e(tx.t('procedure.fees.none'))}</p>;
  return (
    <>
      <table class="govuk-table">
        <caption class="govuk-table__caption govuk-visually-hidden">{e(tx.t('procedure.fees'))}</caption>
        <tbody class="govuk-table__body">
          {p.fees.map((f) => (
            <tr class="govuk-table__row">
              <th scope="row" class="govuk-table__header">
                {e(f.name)} ({e(tx.t(f.kind === 'charge' ? 'procedure.fee.charge' : 'procedure.fee.fee'))})
              </th>
              <td class="govuk-table__cell govuk-table__cell--numeric">{e(tx.money(f.amount))}</td>
            </tr>
          ))}
          <tr class="govuk-table__row">
            <th scope="row" class="govuk-table__header">
              {e(tx.t('procedure.fees.total'))}
            </th>
            <td class="govuk-table__cell govuk-table__cell--numeric">{e(tx.money(p.totalFee))}</td>
          </tr>
        </tbody>
      </table>
      <p class="govuk-body">{e(tx.t(`procedure.timing.${p.feeTiming}` as 'procedure.timing.exempt'))}</p>
    </>
  );
}
