import { Injectable } from '@nestjs/common';
import { AgenciesService } from '../../agencies/agencies.service';
import type { Agency } from '../../agencies/agency.entity';
import { AGENCY_CODE } from '../../agencies/dto';
import { Conflict, NotFound, ValidationFailed } from '../../common/problem';
import type { OfficePeriod } from '../../workflow/calendar';
import { Button, Csrf, e, errorOf, ErrorSummary, FieldProblem, FormErrors, Input } from '../components';
import { readDate } from '../forms/form-data';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { field, Html, PageContext, PageRoute, Redirect } from '../page';
import { adminUser, AdminNotice } from './admin.page';

/** The weekdays in the order a Vietnamese week is read (Monday first); 0 = Sunday as in the calendar. */
const WEEK = [1, 2, 3, 4, 5, 6, 0];
/** Office periods shown on the form at least (morning, afternoon, one spare). */
const MIN_PERIODS = 3;
const HHMM = /^([01]?\d|2[0-3])[:.h]([0-5]\d)$/;

const weekdayName = (tx: Texts, d: number) => tx.t(`admin.agencies.weekday.${d}` as MessageKey);
/** 'YYYY-MM-DD' as dd/mm/yyyy (a calendar date: no time zone involved). */
const showDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
const weekdayOf = (iso: string) => new Date(`${iso}T00:00:00Z`).getUTCDay();
const minutes = (hhmm: string) => (hhmm === '24:00' ? 1440 : Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)));

/** A typed time as 'HH:MM' ('7:30', '07.30', '7h30' too), '24:00' only as a closing time; null when it is not one. */
function readTime(v: string, closing: boolean): string | null {
  if (closing && v === '24:00') return v;
  const m = HHMM.exec(v);
  return m ? `${m[1].padStart(2, '0')}:${m[2]}` : null;
}

interface DetailsForm {
  name: string;
  weekdays: number[];
  periods: { start: string; end: string }[];
}

/** `/admin/agencies` (list, create) and `/admin/agencies/:code` (name, office hours, holidays), through AgenciesService. */
@Injectable()
export class AdminAgencyPages {
  constructor(private readonly agencies: AgenciesService) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/admin/agencies', signedIn: true, handler: (c) => this.list(c, {}, []) },
      { method: 'POST', url: '/admin/agencies', signedIn: true, handler: (c) => this.create(c) },
      { method: 'GET', url: '/admin/agencies/:code', signedIn: true, handler: (c) => this.edit(c) },
      { method: 'POST', url: '/admin/agencies/:code', signedIn: true, handler: (c) => this.saveDetails(c) },
      { method: 'POST', url: '/admin/agencies/:code/holidays', signedIn: true, handler: (c) => this.addHoliday(c) },
      {
        method: 'POST',
        url: '/admin/agencies/:code/holidays/remove',
        signedIn: true,
        handler: (c) => this.removeHoliday(c),
      },
    ];
  }

  // ------------------------------------------------------------------ list and create

  private async list(c: PageContext, values: Record<string, string>, errors: FormErrors): Promise<JSX.Element> {
    adminUser(c);
    const { tx } = c;
    const agencies = await this.agencies.list();
    return (
      <Layout
        tx={tx}
        title={tx.t('admin.agencies.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="admin"
        role={c.session?.role}
        hasErrors={errors.length > 0}
      >
        <AdminNotice c={c} />
        <ErrorSummary tx={tx} errors={errors} />
        <h1 class="govuk-heading-l">{e(tx.t('admin.agencies.title'))}</h1>
        {agencies.length === 0 ? <p class="govuk-body">{e(tx.t('admin.agencies.none'))}</p> : ''}
        <ul class="govuk-list" id="agencies">
          {agencies.map((a) => this.card(tx, a))}
        </ul>
        <h2 class="govuk-heading-m">{e(tx.t('admin.agencies.create'))}</h2>
        <p class="govuk-body">{e(tx.t('admin.agencies.create.hint'))}</p>
        <form method="post" action="/admin/agencies" novalidate>
          <Csrf token={c.csrf()} />
          <Input
            tx={tx}
            name="code"
            label={tx.t('admin.agencies.code')}
            hint={tx.t('admin.agencies.code.hint')}
            value={values.code}
            errors={errors}
            width={20}
            spellcheck={false}
          />
          <Input tx={tx} name="name" label={tx.t('admin.agencies.name')} value={values.name} errors={errors} />
          <Button>{e(tx.t('admin.agencies.create.submit'))}</Button>
        </form>
      </Layout>
    );
  }

  private card(tx: Texts, a: Agency): JSX.Element {
    const href = `/admin/agencies/${encodeURIComponent(a.code)}`;
    return (
      <li class="govuk-summary-card" data-agency={a.code}>
        <div class="govuk-summary-card__title-wrapper">
          <h2 class="govuk-summary-card__title">
            <a class="govuk-link" href={href}>
              {e(a.name)}
            </a>
          </h2>
        </div>
        <div class="govuk-summary-card__content">
          <dl class="govuk-summary-list">
            {row(tx.t('admin.agencies.code'), e(a.code))}
            {row(tx.t('admin.agencies.hours'), e(hoursText(a.calendar.officeHours)))}
            {row(
              tx.t('admin.agencies.weekdays'),
              e(
                WEEK.filter((d) => a.calendar.workingWeekdays.includes(d))
                  .map((d) => weekdayName(tx, d))
                  .join(', '),
              ),
            )}
            {row(
              tx.t('admin.agencies.holidays'),
              e(tx.t('admin.agencies.holidays.count', { count: a.calendar.holidays.length })),
            )}
          </dl>
        </div>
      </li>
    );
  }

  private async create(c: PageContext) {
    adminUser(c);
    const { tx } = c;
    const values = { code: field(c.body, 'code'), name: field(c.body, 'name') };
    const errors: FormErrors = [];
    if (!AGENCY_CODE.test(values.code)) errors.push({ field: 'code', message: tx.t('admin.agencies.error.code') });
    if (!values.name || values.name.length > 300)
      errors.push({ field: 'name', message: tx.t('admin.agencies.error.name') });
    if (errors.length) return new Html(await this.list(c, values, errors), 422);
    try {
      await this.agencies.create({ code: values.code, name: values.name });
    } catch (err) {
      if (err instanceof Conflict) {
        const taken = [{ field: 'code', message: tx.t('admin.agencies.error.codeTaken') }];
        return new Html(await this.list(c, values, taken), 409);
      }
      throw err;
    }
    return new Redirect(`/admin/agencies/${encodeURIComponent(values.code)}?notice=agency-created`);
  }

  // ------------------------------------------------------------------ one agency

  private async agency(c: PageContext): Promise<Agency> {
    const code = (c.req.params as { code?: string }).code ?? '';
    const agency = AGENCY_CODE.test(code) ? (await this.agencies.list()).find((a) => a.code === code) : undefined;
    if (!agency) throw new NotFound('agency');
    return agency;
  }

  private async edit(c: PageContext) {
    adminUser(c);
    const agency = await this.agency(c);
    return this.editPage(c, agency, detailsOf(agency), {}, []);
  }

  private editPage(
    c: PageContext,
    agency: Agency,
    details: { name: string; weekdays: number[]; periods: { start: string; end: string }[] },
    holiday: Record<string, string>,
    errors: FormErrors,
  ): JSX.Element {
    const { tx } = c;
    const base = `/admin/agencies/${encodeURIComponent(agency.code)}`;
    const holidays = [...agency.calendar.holidays].sort();
    const periods = [...details.periods];
    while (periods.length < MIN_PERIODS) periods.push({ start: '', end: '' });
    const weekdaysError = errorOf(errors, 'weekdays');
    return (
      <Layout
        tx={tx}
        title={agency.name}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="admin"
        role={c.session?.role}
        hasErrors={errors.length > 0}
      >
        <a class="govuk-back-link" href="/admin/agencies">
          {e(tx.t('admin.agencies.back'))}
        </a>
        <AdminNotice c={c} />
        <ErrorSummary tx={tx} errors={errors} />
        <span class="govuk-caption-l">{e(agency.code)}</span>
        <h1 class="govuk-heading-l">{e(agency.name)}</h1>

        <h2 class="govuk-heading-m">{e(tx.t('admin.agencies.details'))}</h2>
        <form method="post" action={base} novalidate>
          <Csrf token={c.csrf()} />
          <Input tx={tx} name="name" label={tx.t('admin.agencies.name')} value={details.name} errors={errors} />
          <div class={`govuk-form-group${weekdaysError ? ' govuk-form-group--error' : ''}`}>
            <fieldset class="govuk-fieldset" aria-describedby={weekdaysError ? 'weekdays-error' : undefined}>
              <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">
                {e(tx.t('admin.agencies.weekdays'))}
              </legend>
              <ErrorLine tx={tx} id="weekdays" error={weekdaysError} />
              <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                {WEEK.map((d, i) => {
                  const id = i === 0 ? 'weekdays' : `weekdays-${i + 1}`;
                  return (
                    <div class="govuk-checkboxes__item">
                      <input
                        class="govuk-checkboxes__input"
                        id={id}
                        name={`weekday${d}`}
                        type="checkbox"
                        value="1"
                        checked={details.weekdays.includes(d)}
                      />
                      <label class="govuk-label govuk-checkboxes__label" for={id}>
                        {e(weekdayName(tx, d))}
                      </label>
                    </div>
                  );
                })}
              </div>
            </fieldset>
          </div>
          <h3 class="govuk-heading-s">{e(tx.t('admin.agencies.hours'))}</h3>
          {periods.map((p, i) => (
            <PeriodInput tx={tx} n={i + 1} start={p.start} end={p.end} errors={errors} />
          ))}
          <Button>{e(tx.t('admin.agencies.save'))}</Button>
        </form>

        <h2 class="govuk-heading-m" id="holidays-heading">
          {e(tx.t('admin.agencies.holidays'))}
        </h2>
        <p class="govuk-body">{e(tx.t('admin.agencies.holidays.hint'))}</p>
        {agency.calendar.national ? (
          <p class="govuk-inset-text" id="national-holidays">
            {e(tx.t('rulesb.agency.national'))}
          </p>
        ) : (
          ''
        )}
        {holidays.length === 0 ? (
          <p class="govuk-body">{e(tx.t('admin.agencies.holidays.none'))}</p>
        ) : (
          <ul class="govuk-list portal-results" id="holidays" aria-labelledby="holidays-heading">
            {holidays.map((d) => (
              <li data-holiday={d}>
                {e(`${showDate(d)} (${weekdayName(tx, weekdayOf(d))})`)}
                <form method="post" action={`${base}/holidays/remove`} class="portal-inline-form">
                  <Csrf token={c.csrf()} />
                  <input type="hidden" name="date" value={d} />
                  <button type="submit" class="govuk-link portal-linkbutton">
                    {e(tx.t('admin.agencies.holidays.remove'))}
                    <span class="govuk-visually-hidden">
                      {' '}
                      {e(tx.t('admin.agencies.holidays.removeDate', { date: showDate(d) }))}
                    </span>
                  </button>
                </form>
              </li>
            ))}
          </ul>
        )}
        <form method="post" action={`${base}/holidays`} novalidate>
          <Csrf token={c.csrf()} />
          <DateInput tx={tx} values={holiday} error={errorOf(errors, 'holiday')} />
          <Button secondary>{e(tx.t('admin.agencies.holidays.submit'))}</Button>
        </form>
      </Layout>
    );
  }

  private async saveDetails(c: PageContext) {
    const user = adminUser(c);
    const { tx } = c;
    const agency = await this.agency(c);
    const { form, errors, officeHours } = readDetails(tx, c.body);
    if (errors.length) return new Html(this.editPage(c, agency, form, {}, errors), 422);
    try {
      await this.agencies.update(
        agency.code,
        {
          name: form.name,
          calendar: { officeHours, workingWeekdays: form.weekdays },
        },
        user,
      );
    } catch (err) {
      if (err instanceof ValidationFailed) {
        return new Html(this.editPage(c, agency, form, {}, [calendarProblem(tx, err, 'period1Start')]), 422);
      }
      throw err;
    }
    return new Redirect(`/admin/agencies/${encodeURIComponent(agency.code)}?notice=agency-saved`);
  }

  private async addHoliday(c: PageContext) {
    const user = adminUser(c);
    const { tx } = c;
    const agency = await this.agency(c);
    const values = {
      day: field(c.body, 'holidayDay'),
      month: field(c.body, 'holidayMonth'),
      year: field(c.body, 'holidayYear'),
    };
    const date = readDate(values.day, values.month, values.year);
    const problem: FieldProblem | undefined = !date
      ? { field: 'holiday', message: tx.t('admin.agencies.error.date') }
      : agency.calendar.holidays.includes(date)
        ? { field: 'holiday', message: tx.t('admin.agencies.error.dateTaken') }
        : undefined;
    if (problem) return new Html(this.editPage(c, agency, detailsOf(agency), values, [problem]), 422);
    const holidays = [...agency.calendar.holidays, date!].sort();
    try {
      await this.agencies.update(agency.code, { calendar: { holidays } }, user);
    } catch (err) {
      if (err instanceof ValidationFailed) {
        return new Html(
          this.editPage(c, agency, detailsOf(agency), values, [calendarProblem(tx, err, 'holiday')]),
          422,
        );
      }
      throw err;
    }
    return new Redirect(`/admin/agencies/${encodeURIComponent(agency.code)}?notice=holiday-added#holidays-heading`);
  }

  private async removeHoliday(c: PageContext) {
    const user = adminUser(c);
    const agency = await this.agency(c);
    const date = field(c.body, 'date');
    // Removing a date that is not (or no longer) listed changes nothing.
    if (agency.calendar.holidays.includes(date)) {
      const holidays = agency.calendar.holidays.filter((d) => d !== date);
      await this.agencies.update(agency.code, { calendar: { holidays } }, user);
    }
    return new Redirect(`/admin/agencies/${encodeURIComponent(agency.code)}?notice=holiday-removed#holidays-heading`);
  }
}

function row(key: string, value: JSX.Element): JSX.Element {
  return (
    <div class="govuk-summary-list__row">
      <dt class="govuk-summary-list__key">{e(key)}</dt>
      <dd class="govuk-summary-list__value">{value}</dd>
    </div>
  );
}

const hoursText = (periods: OfficePeriod[]) => periods.map((p) => `${p.start}–${p.end}`).join(', ');

function detailsOf(a: Agency): DetailsForm {
  return {
    name: a.name,
    weekdays: [...a.calendar.workingWeekdays],
    periods: a.calendar.officeHours.map((p) => ({ start: p.start, end: p.end })),
  };
}

/** The details form as typed, its problems in the form's order, and the office periods when they are all good. */
function readDetails(tx: Texts, body: Record<string, string | undefined>) {
  const errors: FormErrors = [];
  const name = field(body, 'name');
  const weekdays = WEEK.filter((d) => body[`weekday${d}`] === '1');
  const periods: { start: string; end: string }[] = [];
  for (let n = 1; n <= 10 && (`period${n}Start` in body || `period${n}End` in body); n++) {
    periods.push({ start: field(body, `period${n}Start`), end: field(body, `period${n}End`) });
  }
  if (!name || name.length > 300) errors.push({ field: 'name', message: tx.t('admin.agencies.error.name') });
  if (weekdays.length === 0) errors.push({ field: 'weekdays', message: tx.t('admin.agencies.error.weekdays') });
  const officeHours: (OfficePeriod & { n: number })[] = [];
  periods.forEach((p, i) => {
    const n = i + 1;
    if (!p.start && !p.end) return;
    const start = readTime(p.start, false);
    const end = readTime(p.end, true);
    if (!start) errors.push({ field: `period${n}Start`, message: tx.t('admin.agencies.error.time') });
    if (!end) errors.push({ field: `period${n}End`, message: tx.t('admin.agencies.error.time') });
    if (start && end && minutes(end) <= minutes(start))
      errors.push({ field: `period${n}End`, message: tx.t('admin.agencies.error.order') });
    else if (start && end) officeHours.push({ start, end, n });
  });
  if (!errors.some((x) => x.field.startsWith('period'))) {
    if (officeHours.length === 0) {
      errors.push({ field: 'period1Start', message: tx.t('admin.agencies.error.noPeriod') });
    } else {
      const sorted = [...officeHours].sort((a, b) => minutes(a.start) - minutes(b.start));
      const clash = sorted.find((p, i) => i > 0 && minutes(p.start) < minutes(sorted[i - 1].end));
      if (clash) errors.push({ field: `period${clash.n}Start`, message: tx.t('admin.agencies.error.overlap') });
    }
  }
  const sorted = officeHours
    .sort((a, b) => minutes(a.start) - minutes(b.start))
    .map(({ start, end }) => ({ start, end }));
  return { form: { name, weekdays, periods }, errors, officeHours: sorted };
}

/** A calendar the service refused (the page's own checks should have caught it): its reason, on a field. */
function calendarProblem(tx: Texts, err: ValidationFailed, fieldName: string): FieldProblem {
  const detail = (err.errors ?? []).map((x) => x.message).join('; ') || err.message;
  return { field: fieldName, message: tx.t('admin.agencies.error.calendar', { detail }) };
}

function ErrorLine({ tx, id, error }: { tx: Texts; id: string; error?: FieldProblem }): JSX.Element {
  if (!error) return '';
  return (
    <p id={`${id}-error`} class="govuk-error-message">
      <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
      {e(error.message)}
    </p>
  );
}

/** One office period: opening and closing time side by side (the date input's layout), as HH:MM. */
function PeriodInput(p: { tx: Texts; n: number; start: string; end: string; errors: FormErrors }): JSX.Element {
  const { tx, n } = p;
  const ids = { start: `period${n}Start`, end: `period${n}End` };
  const errs = [errorOf(p.errors, ids.start), errorOf(p.errors, ids.end)].filter((x): x is FieldProblem => !!x);
  const hintId = `period${n}-hint`;
  const described = [hintId, ...errs.map((x) => `${x.field}-error`)].join(' ');
  return (
    <div class={`govuk-form-group${errs.length ? ' govuk-form-group--error' : ''}`}>
      <fieldset class="govuk-fieldset" role="group" aria-describedby={described}>
        <legend class="govuk-fieldset__legend">{e(tx.t('admin.agencies.period', { n }))}</legend>
        <div id={hintId} class="govuk-hint">
          {e(tx.t('admin.agencies.period.hint'))}
        </div>
        {errs.map((x) => (
          <ErrorLine tx={tx} id={x.field} error={x} />
        ))}
        <div class="govuk-date-input">
          {(
            [
              ['start', 'admin.agencies.opens'],
              ['end', 'admin.agencies.closes'],
            ] as const
          ).map(([part, label]) => (
            <div class="govuk-date-input__item">
              <div class="govuk-form-group">
                <label class="govuk-label govuk-date-input__label" for={ids[part]}>
                  {e(tx.t(label))}
                </label>
                <input
                  class={`govuk-input govuk-date-input__input govuk-input--width-5${errorOf(p.errors, ids[part]) ? ' govuk-input--error' : ''}`}
                  id={ids[part]}
                  name={ids[part]}
                  type="text"
                  inputmode="numeric"
                  autocomplete="off"
                  value={p[part]}
                />
              </div>
            </div>
          ))}
        </div>
      </fieldset>
    </div>
  );
}

/** The new holiday: day, month and year (GOV.UK date input; the day's id is the field's, for the error summary). */
function DateInput({
  tx,
  values,
  error,
}: {
  tx: Texts;
  values: Record<string, string>;
  error?: FieldProblem;
}): JSX.Element {
  const parts = [
    { part: 'day', id: 'holiday', name: 'holidayDay', width: 2, label: tx.t('filing.date.day') },
    { part: 'month', id: 'holiday-month', name: 'holidayMonth', width: 2, label: tx.t('filing.date.month') },
    { part: 'year', id: 'holiday-year', name: 'holidayYear', width: 4, label: tx.t('filing.date.year') },
  ];
  return (
    <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
      <fieldset
        class="govuk-fieldset"
        role="group"
        aria-describedby={error ? 'holiday-hint holiday-error' : 'holiday-hint'}
      >
        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">
          {e(tx.t('admin.agencies.holidays.add'))}
        </legend>
        <div id="holiday-hint" class="govuk-hint">
          {e(tx.t('admin.agencies.holidays.date.hint'))}
        </div>
        <ErrorLine tx={tx} id="holiday" error={error} />
        <div class="govuk-date-input">
          {parts.map((x) => (
            <div class="govuk-date-input__item">
              <div class="govuk-form-group">
                <label class="govuk-label govuk-date-input__label" for={x.id}>
                  {e(x.label)}
                </label>
                <input
                  class={`govuk-input govuk-date-input__input govuk-input--width-${x.width}${error ? ' govuk-input--error' : ''}`}
                  id={x.id}
                  name={x.name}
                  type="text"
                  inputmode="numeric"
                  value={values[x.part] ?? ''}
                />
              </div>
            </div>
          ))}
        </div>
      </fieldset>
    </div>
  );
}
