import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../auth/auth-user';
import { ValidationFailed } from '../../common/problem';
import { PaymentsService } from '../../payments/payments.service';
import { vnDateParts } from '../../pdf/datetime';
import { ProceduresService } from '../../procedures/procedures.service';
import { toCsv } from '../../reports/csv';
import { INDICATOR_COLUMNS, IndicatorRow, parseInstant } from '../../reports/dto';
import { IndicatorsService } from '../../reports/indicators.service';
import { BarChart, percent } from '../charts';
import { ErrorSummary, FormErrors, e, errorOf } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { Html, PageContext, PageRoute, Raw } from '../page';
import { staffUser } from '../staff';

/** A calendar month (Vietnam time), as the month inputs give it: `YYYY-MM`. */
export interface Month {
  year: number;
  month: number;
}

/** The longest period the pages report on, in months (the indicators service allows two years). */
export const MAX_MONTHS = 24;
/** The default period: the last six months, this one included. */
const DEFAULT_MONTHS = 6;

const pad2 = (n: number) => String(n).padStart(2, '0');
export const monthKey = (m: Month) => `${m.year}-${pad2(m.month)}`;
export const monthLabel = (m: Month) => `${pad2(m.month)}/${m.year}`;
const nextMonth = (m: Month): Month => (m.month === 12 ? { year: m.year + 1, month: 1 } : { ...m, month: m.month + 1 });
const monthIndex = (m: Month) => m.year * 12 + m.month - 1;
const fromIndex = (i: number): Month => ({ year: Math.floor(i / 12), month: (i % 12) + 1 });
/** The first instant of a month in Vietnam time. */
const monthStart = (m: Month): Date => parseInstant(`${monthKey(m)}-01`)!;

export function parseMonth(value: string | undefined): Month | undefined {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value ?? '');
  return m ? { year: Number(m[1]), month: Number(m[2]) } : undefined;
}

/** The indicators a chart is drawn for: the rate's key and its title. */
const CHARTS: { key: 'onTimeRate' | 'onlineRate' | 'onlinePaymentRate' | 'satisfactionRate'; title: MessageKey }[] = [
  { key: 'onTimeRate', title: 'staff.reports.onTimeRate' },
  { key: 'onlineRate', title: 'staff.reports.onlineRate' },
  { key: 'onlinePaymentRate', title: 'staff.reports.onlinePaymentRate' },
  { key: 'satisfactionRate', title: 'staff.reports.satisfactionRate' },
];

/** Payment attempt states in the order the reconciliation table lists them. */
const ATTEMPT_STATES = [
  'succeeded',
  'pending',
  'created',
  'failed',
  'cancelled',
  'expired',
  'refund_pending',
  'refunded',
] as const;

/** A period asked for on a report page: months `from`..`to` (both included), or what is wrong with it. */
interface Period {
  from: Month;
  to: Month;
  errors: FormErrors;
}

/** One indicator row of one month. */
export type MonthRow = IndicatorRow & { month: string };

/**
 * The supervisor's reports: `/staff/reports`, the indicators per procedure and month (IndicatorsService, as
 * GET /api/v1/reports/indicators) as SVG charts and a table, with their CSV (`/staff/reports.csv`); and
 * `/staff/reports/payments`, the payment reconciliation (PaymentsService, as GET /api/v1/reports/payments).
 * Supervisors see their agency, admins every agency; anyone else gets the not-found page.
 */
@Injectable()
export class StaffReportsPages {
  constructor(
    private readonly indicators: IndicatorsService,
    private readonly payments: PaymentsService,
    private readonly procedures: ProceduresService,
  ) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/staff/reports', handler: (c) => this.indicatorsPage(c), signedIn: true },
      { method: 'GET', url: '/staff/reports.csv', handler: (c) => this.csv(c), signedIn: true },
      { method: 'GET', url: '/staff/reports/payments', handler: (c) => this.paymentsPage(c), signedIn: true },
    ];
  }

  /** The period of the query (`from`, `to` as YYYY-MM); absent: the last six months. */
  private period(tx: Texts, query: Record<string, string | undefined>): Period {
    const now = vnDateParts(new Date());
    const current = monthIndex({ year: now.year, month: now.month });
    const errors: FormErrors = [];
    const given = (name: 'from' | 'to', fallback: number): Month => {
      const raw = query[name];
      if (raw === undefined || raw === '') return fromIndex(fallback);
      const m = parseMonth(raw.trim());
      if (!m) errors.push({ field: name, message: tx.t('staff.reports.error.month') });
      return m ?? fromIndex(fallback);
    };
    const from = given('from', current - DEFAULT_MONTHS + 1);
    const to = given('to', current);
    if (!errors.length) {
      const span = monthIndex(to) - monthIndex(from) + 1;
      if (span < 1) errors.push({ field: 'to', message: tx.t('staff.reports.error.order') });
      else if (span > MAX_MONTHS)
        errors.push({ field: 'to', message: tx.t('staff.reports.error.span', { months: MAX_MONTHS }) });
    }
    return { from, to, errors };
  }

  /** The indicators of each month of the period, through the API's service; months in order. */
  private async monthRows(user: AuthUser, from: Month, to: Month): Promise<MonthRow[]> {
    const rows: MonthRow[] = [];
    for (let i = monthIndex(from); i <= monthIndex(to); i++) {
      const m = fromIndex(i);
      const report = await this.indicators.report(user, {
        from: monthStart(m).toISOString(),
        to: monthStart(nextMonth(m)).toISOString(),
      });
      rows.push(...report.rows.map((r) => ({ month: monthKey(m), ...r })));
    }
    return rows;
  }

  private async procedureNames(): Promise<Map<string, string>> {
    return new Map((await this.procedures.catalog()).map((p) => [p.code, p.name]));
  }

  private async indicatorsPage(c: PageContext): Promise<JSX.Element | Html> {
    const user = staffUser(c, ['supervisor', 'admin']);
    const { tx } = c;
    const p = this.period(tx, c.query);
    const rows = p.errors.length ? [] : await this.monthRows(user, p.from, p.to);
    const names = await this.procedureNames();
    const qs = `from=${monthKey(p.from)}&to=${monthKey(p.to)}`;
    const label = (r: MonthRow) => `${monthLabel(parseMonth(r.month)!)} · ${r.procedureCode}`;
    const period = tx.t('staff.reports.period', { from: monthLabel(p.from), to: monthLabel(p.to) });
    const page = (
      <Layout
        tx={tx}
        title={tx.t('staff.reports.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="reports"
        role={c.session?.role}
        hasErrors={p.errors.length > 0}
      >
        <ErrorSummary tx={tx} errors={p.errors} />
        <h1 class="govuk-heading-l">{e(tx.t('staff.reports.title'))}</h1>
        <ReportLinks tx={tx} role={user.role} here="indicators" />
        <PeriodForm tx={tx} action="/staff/reports" period={p} query={c.query} />
        {p.errors.length ? (
          ''
        ) : (
          <>
            <p class="govuk-body" id="reports-period">
              {e(period)}
            </p>
            <p class="govuk-body">
              <a class="govuk-link" id="reports-csv" href={`/staff/reports.csv?${qs}`} download="">
                {e(tx.t('staff.reports.csv'))}
              </a>
            </p>
            {rows.length === 0 ? (
              <p class="govuk-body" id="reports-empty">
                {e(tx.t('staff.reports.empty'))}
              </p>
            ) : (
              <>
                {CHARTS.map((chart) => (
                  <section aria-labelledby={`h-${chart.key}`}>
                    <h2 class="govuk-heading-m" id={`h-${chart.key}`}>
                      {e(tx.t(chart.title))}
                    </h2>
                    <BarChart
                      id={`chart-${chart.key}`}
                      title={`${tx.t(chart.title)} – ${period}`}
                      desc={tx.t('staff.reports.chartDesc', { what: tx.t(chart.title) })}
                      max={1}
                      noData={tx.t('staff.reports.noData')}
                      bars={rows.map((r) => ({
                        label: label(r),
                        value: r[chart.key],
                        text: percent(tx, r[chart.key]),
                      }))}
                    />
                  </section>
                ))}
                <IndicatorTable tx={tx} rows={rows} names={names} caption={period} />
              </>
            )}
          </>
        )}
      </Layout>
    );
    return p.errors.length ? new Html(page, 422) : page;
  }

  /** The same rows as the page, as CSV: the month, then the API's columns. */
  private async csv(c: PageContext): Promise<Raw> {
    const user = staffUser(c, ['supervisor', 'admin']);
    const p = this.period(c.tx, c.query);
    if (p.errors.length) throw new ValidationFailed(p.errors, 'The period is not valid.', 400);
    const rows = await this.monthRows(user, p.from, p.to);
    return new Raw(toCsv<MonthRow>(['month', ...INDICATOR_COLUMNS], rows), {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="indicators-${monthKey(p.from)}-${monthKey(p.to)}.csv"`,
      'cache-control': 'private, no-store',
    });
  }

  private async paymentsPage(c: PageContext): Promise<JSX.Element | Html> {
    const user = staffUser(c, ['supervisor', 'admin']);
    const { tx } = c;
    const p = this.period(tx, c.query);
    // The same scope as the API: a supervisor their agency, an admin every agency.
    const agencyId = user.role === 'supervisor' ? user.agencyId : null;
    const report = p.errors.length
      ? undefined
      : await this.payments.reconciliationReport(agencyId, monthStart(p.from), monthStart(nextMonth(p.to)));
    const period = tx.t('staff.reports.period', { from: monthLabel(p.from), to: monthLabel(p.to) });
    const page = (
      <Layout
        tx={tx}
        title={tx.t('staff.reports.payments.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="reports"
        role={c.session?.role}
        hasErrors={p.errors.length > 0}
      >
        <ErrorSummary tx={tx} errors={p.errors} />
        <h1 class="govuk-heading-l">{e(tx.t('staff.reports.payments.title'))}</h1>
        <ReportLinks tx={tx} role={user.role} here="payments" />
        <PeriodForm tx={tx} action="/staff/reports/payments" period={p} query={c.query} />
        {report ? (
          <>
            <div class="portal-table-scroll" role="region" aria-labelledby="payments-caption" tabindex="0">
              <table class="govuk-table" id="payments-attempts">
                <caption class="govuk-table__caption govuk-table__caption--m" id="payments-caption">
                  {e(`${tx.t('staff.reports.payments.attempts')} – ${period}`)}
                </caption>
                <thead class="govuk-table__head">
                  <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">
                      {e(tx.t('staff.reports.payments.state'))}
                    </th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">
                      {e(tx.t('staff.reports.payments.count'))}
                    </th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">
                      {e(tx.t('staff.reports.payments.amount'))}
                    </th>
                  </tr>
                </thead>
                <tbody class="govuk-table__body">
                  {ATTEMPT_STATES.map((state) => {
                    const x = (report.attempts as Record<string, { count: number; amountVnd: number } | undefined>)[
                      state
                    ];
                    return (
                      <tr class="govuk-table__row" data-state={state}>
                        <th scope="row" class="govuk-table__header">
                          {e(tx.t(`staff.reports.payments.state.${state}`))}
                        </th>
                        <td class="govuk-table__cell govuk-table__cell--numeric">{e(x?.count ?? 0)}</td>
                        <td class="govuk-table__cell govuk-table__cell--numeric">{e(tx.money(x?.amountVnd ?? 0))}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <h2 class="govuk-heading-m">{e(tx.t('staff.reports.payments.checks'))}</h2>
            <dl class="govuk-summary-list" id="payments-checks">
              {(
                [
                  ['staff.reports.payments.mismatches', report.amountMismatches],
                  ['staff.reports.payments.duplicates', report.duplicateCallbacks],
                  ...(report.rejectedCallbacks === undefined
                    ? []
                    : [['staff.reports.payments.rejected', report.rejectedCallbacks] as const]),
                  ['staff.reports.payments.stale', report.pendingPastExpiry],
                ] as const
              ).map(([key, n]) => (
                <div class="govuk-summary-list__row">
                  <dt class="govuk-summary-list__key">{e(tx.t(key))}</dt>
                  <dd class="govuk-summary-list__value">{e(n)}</dd>
                </div>
              ))}
            </dl>
          </>
        ) : (
          ''
        )}
      </Layout>
    );
    return p.errors.length ? new Html(page, 422) : page;
  }
}

/** Links between the report pages (and, for a supervisor, to the assignment page). */
function ReportLinks({ tx, role, here }: { tx: Texts; role: string; here: 'indicators' | 'payments' }): JSX.Element {
  const links: [string, string, boolean][] = [
    ['/staff/reports', tx.t('staff.reports.title'), here === 'indicators'],
    ['/staff/reports/payments', tx.t('staff.reports.payments.title'), here === 'payments'],
  ];
  if (role === 'supervisor') links.push(['/staff/assign', tx.t('staff.assign.title'), false]);
  return (
    <nav aria-label={tx.t('staff.reports.links')}>
      <ul class="govuk-list">
        {links.map(([href, text, current]) => (
          <li>
            {current ? (
              <strong>{e(text)}</strong>
            ) : (
              <a class="govuk-link" href={href}>
                {e(text)}
              </a>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The period filter: a GET form (bookmarkable), two month inputs. */
function PeriodForm(p: {
  tx: Texts;
  action: string;
  period: Period;
  query: Record<string, string | undefined>;
}): JSX.Element {
  const { tx } = p;
  const field = (name: 'from' | 'to', label: MessageKey) => {
    const error = errorOf(p.period.errors, name);
    // A value that could not be read is shown back as typed, so that it can be corrected.
    const value = error ? (p.query[name] ?? '') : monthKey(p.period[name]);
    return (
      <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
        <label class="govuk-label" for={name}>
          {e(tx.t(label))}
        </label>
        <div id={`${name}-hint`} class="govuk-hint">
          {e(tx.t('staff.reports.monthHint'))}
        </div>
        {error ? (
          <p id={`${name}-error`} class="govuk-error-message">
            <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
            {e(error.message)}
          </p>
        ) : (
          ''
        )}
        <input
          class={`govuk-input govuk-input--width-10${error ? ' govuk-input--error' : ''}`}
          id={name}
          name={name}
          type="month"
          value={value}
          aria-describedby={`${name}-hint${error ? ` ${name}-error` : ''}`}
        />
      </div>
    );
  };
  return (
    <form method="get" action={p.action} novalidate>
      <fieldset class="govuk-fieldset">
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{e(tx.t('staff.reports.filter'))}</legend>
        {field('from', 'staff.reports.from')}
        {field('to', 'staff.reports.to')}
      </fieldset>
      <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">
        {e(tx.t('staff.reports.show'))}
      </button>
    </form>
  );
}

/** The indicators as a table: the accessible version of the charts, one row per month and procedure. */
function IndicatorTable(p: { tx: Texts; rows: MonthRow[]; names: Map<string, string>; caption: string }): JSX.Element {
  const { tx } = p;
  const heads: MessageKey[] = [
    'staff.reports.col.received',
    'staff.reports.col.finished',
    'staff.reports.col.onTime',
    'staff.reports.onTimeRate',
    'staff.reports.onlineRate',
    'staff.reports.onlinePaymentRate',
    'staff.reports.col.ratings',
    'staff.reports.satisfactionRate',
  ];
  return (
    <div class="portal-table-scroll" role="region" aria-labelledby="indicators-caption" tabindex="0">
      <table class="govuk-table" id="indicators-table">
        <caption class="govuk-table__caption govuk-table__caption--m" id="indicators-caption">
          {e(`${tx.t('staff.reports.table')} – ${p.caption}`)}
        </caption>
        <thead class="govuk-table__head">
          <tr class="govuk-table__row">
            <th scope="col" class="govuk-table__header">
              {e(tx.t('staff.reports.col.month'))}
            </th>
            <th scope="col" class="govuk-table__header">
              {e(tx.t('staff.reports.col.procedure'))}
            </th>
            {heads.map((h) => (
              <th scope="col" class="govuk-table__header govuk-table__header--numeric">
                {e(tx.t(h))}
              </th>
            ))}
          </tr>
        </thead>
        <tbody class="govuk-table__body">
          {p.rows.map((r) => {
            const name = p.names.get(r.procedureCode);
            const cells = [
              String(r.received),
              String(r.finished),
              String(r.onTime),
              percent(tx, r.onTimeRate),
              percent(tx, r.onlineRate),
              percent(tx, r.onlinePaymentRate),
              String(r.ratings),
              percent(tx, r.satisfactionRate),
            ];
            return (
              <tr class="govuk-table__row" data-month={r.month} data-procedure={r.procedureCode}>
                <th scope="row" class="govuk-table__header">
                  {e(monthLabel(parseMonth(r.month)!))}
                </th>
                <td class="govuk-table__cell">
                  {name ? `${e(name)} ` : ''}
                  <span class="govuk-!-font-size-16">({e(r.procedureCode)})</span>
                </td>
                {cells.map((x) => (
                  <td class="govuk-table__cell govuk-table__cell--numeric">{e(x)}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
