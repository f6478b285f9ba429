import { Injectable } from '@nestjs/common';
import { AgenciesService } from '../../agencies/agencies.service';
import { ApplicationsService } from '../../applications/applications.service';
import type { DossierView } from '../../applications/dossier.view';
import { QueueItem, QueueService } from '../../applications/queue.service';
import type { AuthUser } from '../../auth/auth-user';
import type { ClerkLoad } from '../../auth/accounts.repository';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../../common/problem';
import { Csrf, ErrorSummary, FormErrors, Notice, SummaryList, e, errorOf } from '../components';
import type { Texts } from '../i18n';
import { Layout } from '../layout';
import { field, Html, PageContext, PageRoute, Redirect } from '../page';
import { staffUser } from '../staff';
import { stateLabel } from './public.page';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Unassigned dossiers shown per page (the queue's keyset pagination goes on from there). */
const PAGE_SIZE = 50;

/**
 * `/staff/assign`: the supervisor assigns their agency's open dossiers. The clerks with their load (open and
 * overdue assigned dossiers, AgenciesService), the unassigned open dossiers (QueueService, as GET /api/v1/queue
 * ?assignee=none), one dossier in focus (`?dossier=`, linked from the clerk's dossier page) and a small form per
 * dossier that assigns or reassigns it through ApplicationsService.assign (as POST /api/v1/applications/:id/assign).
 * A dossier of another agency is the not-found page; a refused assignment is an error summary, nothing written.
 */
@Injectable()
export class StaffAssignPages {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly queue: QueueService,
    private readonly agencies: AgenciesService,
  ) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/staff/assign', handler: (c) => this.show(c), signedIn: true },
      { method: 'POST', url: '/staff/assign', handler: (c) => this.assign(c), signedIn: true },
    ];
  }

  private user(c: PageContext): AuthUser & { agencyId: string } {
    const user = staffUser(c, ['supervisor', 'admin']);
    // The page is an agency's: an admin of no agency has nothing to assign here.
    if (!user.agencyId) throw new NotFound('page');
    return { ...user, agencyId: user.agencyId };
  }

  private async show(c: PageContext): Promise<JSX.Element> {
    const user = this.user(c);
    const focus = c.query.dossier;
    if (focus !== undefined && !UUID.test(focus)) throw new NotFound('dossier');
    return this.render(c, user, focus);
  }

  private async assign(c: PageContext): Promise<Redirect | Html> {
    const user = this.user(c);
    const { tx } = c;
    const dossierId = field(c.body, 'dossierId');
    const clerkId = field(c.body, 'clerkId');
    if (!UUID.test(dossierId)) throw new NotFound('dossier');
    let problem: string | undefined;
    if (!UUID.test(clerkId)) problem = tx.t('staff.assign.error.choose');
    else {
      try {
        await this.applications.assign(user, dossierId, clerkId);
        return new Redirect(`/staff/assign?dossier=${dossierId}&notice=staff-assigned`);
      } catch (err) {
        if (err instanceof ValidationFailed) problem = tx.t('staff.assign.error.clerk');
        else if (err instanceof Conflict) problem = tx.t('staff.assign.error.closed');
        else if (err instanceof Forbidden) problem = tx.t('staff.assign.error.forbidden');
        else throw err;
      }
    }
    const errors: FormErrors = [{ field: 'clerkId', message: problem }];
    return new Html(await this.render(c, user, dossierId, errors, clerkId), 422);
  }

  private async render(
    c: PageContext,
    user: AuthUser & { agencyId: string },
    focusId: string | undefined,
    errors?: FormErrors,
    chosen?: string,
  ): Promise<JSX.Element> {
    const { tx } = c;
    // Another agency's dossier, or one that does not exist: the not-found page (the service scopes by agency).
    const focus = focusId ? await this.applications.get(user, focusId) : undefined;
    const loads = await this.agencies.clerkLoads(user.agencyId);
    const cursor = c.query.cursor && /^[A-Za-z0-9_=-]{1,200}$/.test(c.query.cursor) ? c.query.cursor : undefined;
    const { items, nextCursor } = await this.queue.page(user, { assignee: 'none', limit: PAGE_SIZE, cursor });
    const unassigned = items.filter((d) => d.id !== focus?.id);
    return (
      <Layout
        tx={tx}
        title={tx.t('staff.assign.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="staff"
        role={c.session?.role}
        hasErrors={!!errors?.length}
      >
        <ErrorSummary tx={tx} errors={errors} />
        {c.notice && !errors?.length ? (
          <Notice tx={tx} success>
            {e(tx.t(c.notice))}
          </Notice>
        ) : (
          ''
        )}
        <h1 class="govuk-heading-l">{e(tx.t('staff.assign.title'))}</h1>
        {focus ? <Focus tx={tx} d={focus} loads={loads} csrf={c.csrf()} errors={errors} chosen={chosen} /> : ''}
        <LoadTable tx={tx} loads={loads} />
        <h2 class="govuk-heading-m" id="unassigned-heading">
          {e(tx.t('staff.assign.unassigned'))}
        </h2>
        {unassigned.length === 0 ? (
          <p class="govuk-body" id="unassigned-none">
            {e(tx.t('staff.assign.unassigned.none'))}
          </p>
        ) : (
          <ul class="govuk-list" id="unassigned" aria-labelledby="unassigned-heading">
            {unassigned.map((d) => (
              <UnassignedItem tx={tx} d={d} loads={loads} csrf={c.csrf()} />
            ))}
          </ul>
        )}
        {nextCursor ? (
          <p class="govuk-body">
            <a class="govuk-link" href={`/staff/assign?cursor=${encodeURIComponent(nextCursor)}`}>
              {e(tx.t('staff.assign.more'))}
            </a>
          </p>
        ) : (
          ''
        )}
      </Layout>
    );
  }
}

const clerkChoices = (tx: Texts, loads: ClerkLoad[]) => [
  { value: '', label: tx.t('staff.assign.choose') },
  ...loads.map((l) => ({ value: l.id, label: tx.t('staff.assign.clerkChoice', { name: l.fullName, open: l.open }) })),
];

/** The assign form of one dossier: the select of the agency's clerks and a button. */
function AssignForm(p: {
  tx: Texts;
  dossierId: string;
  selectId: string;
  label: string;
  loads: ClerkLoad[];
  csrf: string;
  value?: string;
  errors?: FormErrors;
  button: string;
}): JSX.Element {
  const error = errorOf(p.errors, p.selectId);
  return (
    <form method="post" action="/staff/assign" novalidate>
      <Csrf token={p.csrf} />
      <input type="hidden" name="dossierId" value={p.dossierId} />
      <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
        <label class="govuk-label" for={p.selectId}>
          {e(p.label)}
        </label>
        {error ? (
          <p id={`${p.selectId}-error`} class="govuk-error-message">
            <span class="govuk-visually-hidden">{e(p.tx.t('errors.prefix'))} </span>
            {e(error.message)}
          </p>
        ) : (
          ''
        )}
        <select
          class={`govuk-select${error ? ' govuk-select--error' : ''}`}
          id={p.selectId}
          name="clerkId"
          aria-describedby={error ? `${p.selectId}-error` : undefined}
        >
          {clerkChoices(p.tx, p.loads).map((o) => (
            <option value={o.value} selected={o.value === (p.value ?? '')}>
              {e(o.label)}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="govuk-button govuk-!-margin-bottom-2" data-module="govuk-button">
        {e(p.button)}
      </button>
    </form>
  );
}

/** The dossier in focus (`?dossier=`): what it is, who has it, and the form to (re)assign it. */
function Focus(p: {
  tx: Texts;
  d: DossierView;
  loads: ClerkLoad[];
  csrf: string;
  errors?: FormErrors;
  chosen?: string;
}): JSX.Element {
  const { tx, d } = p;
  const assignee = d.assigneeId
    ? (p.loads.find((l) => l.id === d.assigneeId)?.fullName ?? tx.t('staff.assign.otherStaff'))
    : tx.t('staff.assign.nobody');
  return (
    <section class="govuk-inset-text" id="focus" aria-labelledby="focus-heading">
      <h2 class="govuk-heading-m" id="focus-heading">
        {e(tx.t('staff.assign.focus', { code: d.code ?? d.id }))}
      </h2>
      <SummaryList
        rows={[
          [tx.t('staff.assign.procedure'), <>{e(d.procedureName)}</>],
          [tx.t('staff.assign.state'), <strong class="govuk-tag">{e(stateLabel(tx, d.state))}</strong>],
          [tx.t('staff.assign.dueAt'), <>{e(d.dueAt ? tx.date(d.dueAt) : tx.t('staff.assign.dueAt.none'))}</>],
          [tx.t('staff.assign.assignee'), <span id="focus-assignee">{e(assignee)}</span>],
        ]}
      />
      <AssignForm
        tx={tx}
        dossierId={d.id}
        selectId="clerkId"
        label={tx.t(d.assigneeId ? 'staff.assign.reassignTo' : 'staff.assign.assignTo')}
        loads={p.loads}
        csrf={p.csrf}
        value={p.chosen ?? d.assigneeId ?? ''}
        errors={p.errors}
        button={tx.t(d.assigneeId ? 'staff.assign.reassign' : 'staff.assign.assign')}
      />
    </section>
  );
}

/** The clerks and their load, as a table. */
function LoadTable({ tx, loads }: { tx: Texts; loads: ClerkLoad[] }): JSX.Element {
  if (loads.length === 0)
    return (
      <p class="govuk-body" id="clerk-loads-none">
        {e(tx.t('staff.assign.noClerks'))}
      </p>
    );
  return (
    <div class="portal-table-scroll" role="region" aria-labelledby="clerk-loads-caption" tabindex="0">
      <table class="govuk-table" id="clerk-loads">
        <caption class="govuk-table__caption govuk-table__caption--m" id="clerk-loads-caption">
          {e(tx.t('staff.assign.loads'))}
        </caption>
        <thead class="govuk-table__head">
          <tr class="govuk-table__row">
            <th scope="col" class="govuk-table__header">
              {e(tx.t('staff.assign.clerk'))}
            </th>
            <th scope="col" class="govuk-table__header govuk-table__header--numeric">
              {e(tx.t('staff.assign.open'))}
            </th>
            <th scope="col" class="govuk-table__header govuk-table__header--numeric">
              {e(tx.t('staff.assign.overdue'))}
            </th>
          </tr>
        </thead>
        <tbody class="govuk-table__body">
          {loads.map((l) => (
            <tr class="govuk-table__row" data-clerk={l.id}>
              <th scope="row" class="govuk-table__header">
                {e(l.fullName)}
                <br />
                <span class="govuk-body-s">{e(l.email)}</span>
              </th>
              <td class="govuk-table__cell govuk-table__cell--numeric" data-open={String(l.open)}>
                {e(l.open)}
              </td>
              <td class="govuk-table__cell govuk-table__cell--numeric" data-overdue={String(l.overdue)}>
                {l.overdue > 0 ? <strong>{e(l.overdue)}</strong> : e(l.overdue)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** An unassigned dossier as a card with its assign form. */
function UnassignedItem(p: { tx: Texts; d: QueueItem; loads: ClerkLoad[]; csrf: string }): JSX.Element {
  const { tx, d } = p;
  const title = d.code ?? d.id;
  return (
    <li class="govuk-summary-card" data-dossier={d.id}>
      <div class="govuk-summary-card__title-wrapper">
        <h3 class="govuk-summary-card__title">
          <a class="govuk-link" href={`/staff/assign?dossier=${d.id}`}>
            {e(title)}
          </a>
        </h3>
      </div>
      <div class="govuk-summary-card__content">
        <SummaryList
          rows={[
            [tx.t('staff.assign.procedure'), <>{e(d.procedureName)}</>],
            [tx.t('staff.assign.state'), <strong class="govuk-tag">{e(stateLabel(tx, d.state))}</strong>],
            [
              tx.t('staff.assign.dueAt'),
              <>
                {e(d.dueAt ? tx.date(d.dueAt) : tx.t('staff.assign.dueAt.none'))}
                {d.overdue ? (
                  <>
                    {' '}
                    <strong class="govuk-tag govuk-tag--red">{e(tx.t('staff.assign.isOverdue'))}</strong>
                  </>
                ) : (
                  ''
                )}
              </>,
            ],
          ]}
        />
        <AssignForm
          tx={tx}
          dossierId={d.id}
          selectId={`clerk-${d.id}`}
          label={tx.t('staff.assign.assignCode', { code: title })}
          loads={p.loads}
          csrf={p.csrf}
          button={tx.t('staff.assign.assign')}
        />
      </div>
    </li>
  );
}
