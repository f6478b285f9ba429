import { Injectable } from '@nestjs/common';
import { QueueItem, QueueService } from '../../applications/queue.service';
import { AgenciesService } from '../../agencies/agencies.service';
import type { AuthUser } from '../../auth/auth-user';
import { ProceduresService } from '../../procedures/procedures.service';
import { Button, e, ErrorSummary, FormErrors, Radios, Select } from '../components';
import type { Texts } from '../i18n';
import { Layout } from '../layout';
import { Html, PageContext, PageResult, PageRoute } from '../page';
import { staffUser } from '../staff';
import { stateLabel } from './public.page';

const STATE = /^[a-z][a-z0-9_]{0,63}$/;
const PROCEDURE = /^[A-Za-z0-9._-]{1,64}$/;
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;
const PAGE_SIZE = 25;

/** The queue's filters, as the URL carries them (a GET form: bookmarkable). */
export interface QueueFilters {
  state?: string;
  procedure?: string;
  assignee?: 'me' | 'none';
  due?: 'overdue' | 'soon';
  limit?: number;
}

/** `/staff` with these filters (and a cursor, for "load more"). */
export function queueHref(f: QueueFilters, cursor?: string): string {
  const q = new URLSearchParams();
  if (f.state) q.set('state', f.state);
  if (f.procedure) q.set('procedure', f.procedure);
  if (f.assignee) q.set('assignee', f.assignee);
  if (f.due) q.set('due', f.due);
  if (f.limit) q.set('limit', String(f.limit));
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `/staff?${s}` : '/staff';
}

/** The GOV.UK tags of a dossier's deadline: text, not colour only. */
export function DeadlineTags(p: { tx: Texts; overdue: boolean; dueSoon: boolean; paused: boolean }): JSX.Element {
  const { tx } = p;
  return (
    <>
      {p.overdue ? <strong class="govuk-tag govuk-tag--red portal-tag">{e(tx.t('staff.queue.overdue'))}</strong> : ''}
      {p.dueSoon && !p.overdue ? (
        <strong class="govuk-tag govuk-tag--yellow portal-tag">{e(tx.t('staff.queue.dueSoon'))}</strong>
      ) : (
        ''
      )}
      {p.paused ? <strong class="govuk-tag govuk-tag--grey portal-tag">{e(tx.t('staff.queue.paused'))}</strong> : ''}
    </>
  );
}

/**
 * `/staff`: the clerk's queue, read through the same QueueService as GET /api/v1/queue: the agency's open dossiers by
 * due date, filtered by state, procedure, assignee and deadline (a GET form, so a filter is a bookmark), counts per
 * state, and keyset "load more" (a plain link carrying the cursor; a script appends the rows instead).
 */
@Injectable()
export class StaffQueuePage {
  constructor(
    private readonly queue: QueueService,
    private readonly agencies: AgenciesService,
    private readonly procedures: ProceduresService,
  ) {}

  routes(): PageRoute[] {
    return [{ method: 'GET', url: '/staff', handler: (c) => this.show(c), signedIn: true }];
  }

  /** The filters of the query; a value that is not one of the allowed ones is an error on that field. */
  private filters(c: PageContext): { f: QueueFilters; cursor?: string; errors: FormErrors } {
    const { tx, query } = c;
    const f: QueueFilters = {};
    const errors: FormErrors = [];
    const bad = (field: string) => errors.push({ field, message: tx.t('staff.queue.error.filter') });
    if (query.state) {
      if (STATE.test(query.state)) f.state = query.state;
      else bad('state');
    }
    if (query.procedure) {
      if (PROCEDURE.test(query.procedure)) f.procedure = query.procedure;
      else bad('procedure');
    }
    if (query.assignee && query.assignee !== 'anyone') {
      if (query.assignee === 'me' || query.assignee === 'none') f.assignee = query.assignee;
      else bad('assignee');
    }
    if (query.due && query.due !== 'any') {
      if (query.due === 'overdue' || query.due === 'soon') f.due = query.due;
      else bad('due');
    }
    if (query.limit) {
      const n = Number(query.limit);
      if (/^\d{1,3}$/.test(query.limit) && n >= 1 && n <= 100) f.limit = n;
    }
    const cursor = query.cursor && CURSOR.test(query.cursor) ? query.cursor : undefined;
    return { f, cursor, errors };
  }

  private async show(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = staffUser(c, ['clerk', 'supervisor', 'admin']);
    const title = tx.t('staff.queue.title');
    if (!user.agencyId) {
      return (
        <Layout tx={tx} title={title} path={c.path} signedIn csrf={c.csrf()} nav="staff" role={user.role}>
          <h1 class="govuk-heading-l">{e(title)}</h1>
          <p class="govuk-body" id="queue-no-agency">
            {e(tx.t('staff.queue.noAgency'))}
          </p>
        </Layout>
      );
    }
    const { f, cursor, errors } = this.filters(c);
    const dto = { ...f, limit: f.limit ?? PAGE_SIZE, cursor };
    const [page, allCounts, procedures, staff] = await Promise.all([
      this.queue.page(user, dto),
      // The counts per state ignore the state filter (they are the choices of that filter).
      f.state && !cursor ? this.queue.page(user, { ...dto, state: undefined, limit: 1 }) : Promise.resolve(null),
      this.agencyProcedures(user),
      this.staffNames(user),
    ]);
    const counts = (allCounts ?? page).counts;
    const html = this.page(c, user, f, cursor, errors, page.items, page.nextCursor, counts, procedures, staff);
    return errors.length ? new Html(html, 400) : html;
  }

  /** The procedures of the user's agency (for the procedure filter). */
  private async agencyProcedures(user: AuthUser): Promise<{ code: string; name: string }[]> {
    const [agencies, catalog] = await Promise.all([this.agencies.list(), this.procedures.catalog()]);
    const code = agencies.find((a) => a.id === user.agencyId)?.code;
    return catalog.filter((p) => p.agencyCode === code).map((p) => ({ code: p.code, name: p.name }));
  }

  /** The names of the agency's staff by account id (who a dossier is assigned to). */
  private async staffNames(user: AuthUser): Promise<Map<string, string>> {
    const agencies = await this.agencies.list();
    const code = agencies.find((a) => a.id === user.agencyId)?.code;
    if (!code) return new Map();
    return new Map((await this.agencies.listStaff(code)).map((s) => [s.id, s.fullName]));
  }

  private page(
    c: PageContext,
    user: AuthUser,
    f: QueueFilters,
    cursor: string | undefined,
    errors: FormErrors,
    items: QueueItem[],
    nextCursor: string | null,
    counts: Record<string, number> | undefined,
    procedures: { code: string; name: string }[],
    staff: Map<string, string>,
  ): JSX.Element {
    const { tx } = c;
    const title = tx.t('staff.queue.title');
    const states = Object.keys(counts ?? {});
    if (f.state && !states.includes(f.state)) states.push(f.state);
    const total = Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    const filtered = !!(f.state || f.procedure || f.assignee || f.due);
    return (
      <Layout
        tx={tx}
        title={title}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="staff"
        role={user.role}
        hasErrors={errors.length > 0}
      >
        <ErrorSummary tx={tx} errors={errors} />
        <h1 class="govuk-heading-l">{e(title)}</h1>

        {counts ? (
          <nav aria-labelledby="queue-counts-title" class="portal-queue-counts">
            <h2 class="govuk-heading-s" id="queue-counts-title">
              {e(tx.t('staff.queue.counts'))}
            </h2>
            <ul class="govuk-list portal-queue-counts__list" id="queue-counts">
              <li>
                <a
                  class="govuk-link"
                  href={queueHref({ ...f, state: undefined })}
                  aria-current={f.state ? undefined : 'true'}
                >
                  {e(tx.t('staff.queue.allStates'))} ({total})
                </a>
              </li>
              {Object.entries(counts).map(([state, n]) => (
                <li>
                  <a
                    class="govuk-link"
                    href={queueHref({ ...f, state })}
                    data-state={state}
                    aria-current={f.state === state ? 'true' : undefined}
                  >
                    {e(stateLabel(tx, state))} ({n})
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : (
          ''
        )}

        <details class="govuk-details" open={filtered || errors.length > 0 ? true : undefined}>
          <summary class="govuk-details__summary">
            <span class="govuk-details__summary-text">{e(tx.t('staff.queue.filters'))}</span>
          </summary>
          <div class="govuk-details__text">
            <form method="get" action="/staff" novalidate id="queue-filters">
              <Select
                tx={tx}
                name="state"
                label={tx.t('staff.queue.filter.state')}
                value={f.state ?? ''}
                errors={errors}
                choices={[
                  { value: '', label: tx.t('staff.queue.allStates') },
                  ...states.map((s) => ({ value: s, label: stateLabel(tx, s) })),
                ]}
              />
              <Select
                tx={tx}
                name="procedure"
                label={tx.t('staff.queue.filter.procedure')}
                value={f.procedure ?? ''}
                errors={errors}
                choices={[
                  { value: '', label: tx.t('staff.queue.allProcedures') },
                  ...procedures.map((p) => ({ value: p.code, label: `${p.code} – ${p.name}` })),
                ]}
              />
              <Radios
                tx={tx}
                name="assignee"
                legend={tx.t('staff.queue.filter.assignee')}
                value={f.assignee ?? 'anyone'}
                errors={errors}
                inline
                choices={[
                  { value: 'anyone', label: tx.t('staff.queue.assignee.anyone') },
                  { value: 'me', label: tx.t('staff.queue.assignee.me') },
                  { value: 'none', label: tx.t('staff.queue.assignee.none') },
                ]}
              />
              <Radios
                tx={tx}
                name="due"
                legend={tx.t('staff.queue.filter.due')}
                value={f.due ?? 'any'}
                errors={errors}
                inline
                choices={[
                  { value: 'any', label: tx.t('staff.queue.due.any') },
                  { value: 'overdue', label: tx.t('staff.queue.overdue') },
                  { value: 'soon', label: tx.t('staff.queue.dueSoon') },
                ]}
              />
              {f.limit ? <input type="hidden" name="limit" value={String(f.limit)} /> : ''}
              <div class="govuk-button-group">
                <Button secondary>{e(tx.t('staff.queue.apply'))}</Button>
                {filtered ? (
                  <a class="govuk-link" href="/staff">
                    {e(tx.t('staff.queue.clear'))}
                  </a>
                ) : (
                  ''
                )}
              </div>
            </form>
          </div>
        </details>

        {cursor ? (
          <p class="govuk-body">
            {e(tx.t('staff.queue.continued'))}{' '}
            <a class="govuk-link" href={queueHref(f)}>
              {e(tx.t('staff.queue.backToStart'))}
            </a>
          </p>
        ) : (
          ''
        )}

        {items.length ? (
          <table class="govuk-table portal-queue" id="queue">
            <caption class="govuk-table__caption govuk-table__caption--m">{e(tx.t('staff.queue.caption'))}</caption>
            <thead class="govuk-table__head">
              <tr class="govuk-table__row">
                <th scope="col" class="govuk-table__header">
                  {e(tx.t('staff.queue.col.code'))}
                </th>
                <th scope="col" class="govuk-table__header">
                  {e(tx.t('staff.queue.col.procedure'))}
                </th>
                <th scope="col" class="govuk-table__header">
                  {e(tx.t('staff.queue.col.applicant'))}
                </th>
                <th scope="col" class="govuk-table__header">
                  {e(tx.t('staff.queue.col.state'))}
                </th>
                <th scope="col" class="govuk-table__header">
                  {e(tx.t('staff.queue.col.due'))}
                </th>
                <th scope="col" class="govuk-table__header">
                  {e(tx.t('staff.queue.col.assignee'))}
                </th>
              </tr>
            </thead>
            <tbody class="govuk-table__body" id="queue-rows">
              {items.map((row) => this.row(tx, user, row, f, staff))}
            </tbody>
          </table>
        ) : (
          <p class="govuk-body" id="queue-empty">
            {e(tx.t(filtered ? 'staff.queue.emptyFiltered' : 'staff.queue.empty'))}
          </p>
        )}

        {nextCursor ? (
          <p class="govuk-body">
            <a
              class="govuk-link"
              id="queue-more"
              href={queueHref(f, nextCursor)}
              data-queue-more
              data-label-loading={tx.t('staff.queue.loading')}
              data-label-loaded={tx.t('staff.queue.loaded')}
            >
              {e(tx.t('staff.queue.more'))}
            </a>
          </p>
        ) : (
          ''
        )}
        <p class="govuk-visually-hidden" aria-live="polite" id="queue-status"></p>
      </Layout>
    );
  }

  private row(tx: Texts, user: AuthUser, row: QueueItem, f: QueueFilters, staff: Map<string, string>): JSX.Element {
    const label = (key: Parameters<Texts['t']>[0]) => e(tx.t(key));
    const assignee =
      row.assigneeId === null
        ? tx.t('staff.queue.assignee.nobody')
        : row.assigneeId === user.id
          ? tx.t('staff.queue.assignee.you')
          : (staff.get(row.assigneeId) ?? tx.t('staff.queue.assignee.other'));
    return (
      <tr class="govuk-table__row" data-id={row.id}>
        <td class="govuk-table__cell" data-label={tx.t('staff.queue.col.code')}>
          <a class="govuk-link" href={`/staff/dossiers/${row.id}`}>
            {e(row.code ?? row.id.slice(0, 8))}
          </a>
        </td>
        <td class="govuk-table__cell" data-label={tx.t('staff.queue.col.procedure')}>
          {e(row.procedureName)}
        </td>
        <td class="govuk-table__cell" data-label={tx.t('staff.queue.col.applicant')}>
          {e(row.applicantName)}
        </td>
        <td class="govuk-table__cell" data-label={tx.t('staff.queue.col.state')}>
          {e(stateLabel(tx, row.state))}
        </td>
        <td class="govuk-table__cell" data-label={tx.t('staff.queue.col.due')}>
          {row.dueAt ? e(tx.date(row.dueAt)) : label('staff.queue.notReceived')}{' '}
          <DeadlineTags
            tx={tx}
            overdue={row.overdue}
            dueSoon={row.deadlineAlert === 'due_soon' || f.due === 'soon'}
            paused={row.clockPaused}
          />
        </td>
        <td class="govuk-table__cell" data-label={tx.t('staff.queue.col.assignee')}>
          {e(assignee)}
        </td>
      </tr>
    );
  }
}
