import { Injectable } from '@nestjs/common';
import '@fastify/multipart';
import { APOLOGY_NOT_WORKING_TIME, APOLOGY_TOO_LATE } from '../../applications/apology';
import { ApplicationsService } from '../../applications/applications.service';
import type { HistoryItem } from '../../applications/dossier.repository';
import type { DossierView } from '../../applications/dossier.view';
import { SUPPLEMENT_REQUEST_ACTION } from '../../applications/supplement';
import type { ListedDocument } from '../../applications/documents.repository';
import { DocumentsService } from '../../applications/documents.service';
import { AgenciesService } from '../../agencies/agencies.service';
import type { AuthUser } from '../../auth/auth-user';
import { AppError, NotFound, ValidationFailed } from '../../common/problem';
import { ResultsService } from '../../delivery/results.service';
import { type DossierMessage, NotificationsService } from '../../notifications/notifications.service';
import { PaymentsService } from '../../payments/payments.service';
import { ProceduresService, PublishedVersion } from '../../procedures/procedures.service';
import { readOneFile } from '../../storage/upload';
import { SignatureRefused } from '../../signing/signature-refused';
import { SUBMIT_ACTION, type ActionDefinition } from '../../workflow/definition';
import { stateOf } from '../../workflow/engine';
import { WorkflowError } from '../../workflow/errors';
import { Button, Csrf, e, ErrorMessage, ErrorSummary, FormErrors, Notice, SummaryList } from '../components';
import { Answers } from '../forms/answers';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { CsrfFailure, field, Html, PageContext, PageResult, PageRoute, Raw, Redirect } from '../page';
import { staffUser } from '../staff';
import { WebSessions } from '../web-sessions';
import { ResultSummary } from '../result-summary';
import { stateLabel } from './public.page';
import { DeadlineTags } from './staff-queue.page';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION_KEY = /^[a-z][a-z0-9_]{0,63}$/;
const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ROLES = ['clerk', 'supervisor', 'admin'] as const;
const MAX_COMMENT = 4000;

/** What the page says after a step (`?done=`), from a fixed list. */
const DONE: Partial<Record<string, MessageKey>> = {
  action: 'staff.dossier.done.action',
  claimed: 'staff.dossier.done.claimed',
  result: 'staff.dossier.done.result',
  apology: 'staff.dossier.done.apology',
};

interface Loaded {
  user: AuthUser;
  d: DossierView;
  version: PublishedVersion;
}

const fileAnswer = (content: Buffer, contentType: string, fileName: string, inline = false) =>
  new Raw(content, {
    'content-type': contentType,
    'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
  });

/**
 * `/staff/dossiers/:id`: a dossier of the clerk's agency, through the same services as the API with the staff user
 * (another agency's dossier, a citizen or a bad id: the not-found page, on every URL below it). The form data with the
 * schema's labels, the documents shown inline, the timeline, payments and receipts, the messages sent, the deadline;
 * a button for exactly each action the workflow allows this user now (a confirmation page with a comment where the
 * action requires one), claiming, the signed result, an apology with a new date. Every form carries the `version`
 * the clerk saw: when another clerk acted first, the answer is a 409 page that says what happened.
 */
@Injectable()
export class StaffDossierPage {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly documents: DocumentsService,
    private readonly payments: PaymentsService,
    private readonly results: ResultsService,
    private readonly procedures: ProceduresService,
    private readonly notifications: NotificationsService,
    private readonly agencies: AgenciesService,
    private readonly sessions: WebSessions,
  ) {}

  routes(): PageRoute[] {
    const r = (
      method: 'GET' | 'POST',
      url: string,
      handler: (c: PageContext) => Promise<PageResult>,
      extra: Partial<PageRoute> = {},
    ): PageRoute => ({ method, url: `/staff/dossiers/:id${url}`, handler, signedIn: true, ...extra });
    return [
      r('GET', '', (c) => this.show(c)),
      r('GET', '/documents/:docId', (c) => this.document(c)),
      r('GET', '/payments/:attemptId/receipt', (c) => this.paymentReceipt(c)),
      r('GET', '/result', (c) => this.resultFile(c)),
      r('POST', '/claim', (c) => this.claim(c)),
      r('GET', '/actions/:action', (c) => this.confirm(c)),
      r('POST', '/actions/:action', (c) => this.act(c)),
      r('POST', '/result', (c) => this.uploadResult(c), { multipart: true }),
      r('POST', '/apology', (c) => this.apologize(c)),
    ];
  }

  // ------------------------------------------------------------------ loading

  private param(c: PageContext, name: string): string {
    const v = (c.req.params as Record<string, string | undefined>)[name] ?? '';
    if (!UUID.test(v)) throw new NotFound('page');
    return v;
  }

  private async load(c: PageContext): Promise<Loaded> {
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    const row = await this.applications.find(user, id);
    const [d, version] = await Promise.all([
      this.applications.get(user, id),
      this.procedures.version(row.procedure_version_id),
    ]);
    return { user, d, version };
  }

  private actionDef(l: Loaded, key: string): ActionDefinition | undefined {
    return l.version.workflow.actions.find((a) => a.key === key);
  }

  /** The actions this user may take now, as buttons (submitting is the citizen's). */
  private actions(l: Loaded): string[] {
    return l.d.availableActions.filter((a) => a !== SUBMIT_ACTION);
  }

  private actionLabel(tx: Texts, l: Loaded, key: string): string {
    const known = tx.t(`staff.dossier.do.${key}` as MessageKey) as string | undefined;
    return known ?? this.actionDef(l, key)?.label ?? key;
  }

  private historyLabel(tx: Texts, key: string): string {
    return tx.t(`dossier.history.${key}` as MessageKey) ?? tx.t('dossier.history.other');
  }

  private roleLabel(tx: Texts, role: string | null): string {
    return tx.t(`staff.dossier.role.${role ?? 'other'}` as MessageKey) ?? role ?? '';
  }

  private expected(c: PageContext): number | undefined {
    const v = field(c.body, 'version');
    return /^\d{1,9}$/.test(v) ? Number(v) : undefined;
  }

  /** Whether this refusal means "someone else acted first" (the state or the version changed). */
  private isConflict(err: unknown): boolean {
    if (err instanceof WorkflowError) return err.code !== 'missing_requirement';
    return err instanceof AppError && err.status === 409;
  }

  private async names(user: AuthUser, agencyCode: string): Promise<Map<string, string>> {
    if (!user.agencyId) return new Map();
    return new Map((await this.agencies.listStaff(agencyCode)).map((s) => [s.id, s.fullName]));
  }

  // ------------------------------------------------------------------ the page

  private async show(c: PageContext, errors: FormErrors = [], status = 200): Promise<PageResult> {
    const l = await this.load(c);
    const [history, docs, requests, messages, names] = await Promise.all([
      this.applications.history(l.user, l.d.id),
      this.documents.list(l.user, l.d.id),
      l.d.payment ? this.payments.list(l.d.id) : Promise.resolve([]),
      this.notifications.forDossier(l.d.id),
      this.names(l.user, l.d.agencyCode),
    ]);
    const html = this.page(c, l, { history, docs, requests, messages, names }, errors);
    return status === 200 ? html : new Html(html, status);
  }

  private page(
    c: PageContext,
    l: Loaded,
    more: {
      history: HistoryItem[];
      docs: ListedDocument[];
      requests: Awaited<ReturnType<PaymentsService['list']>>;
      messages: DossierMessage[];
      names: Map<string, string>;
    },
    errors: FormErrors,
  ): JSX.Element {
    const { tx } = c;
    const { d, user } = l;
    const title = d.code ?? tx.t('dossiers.draft');
    const terminal = !!stateOf(l.version.workflow, d.state).terminal;
    const done = c.query.done ? DONE[c.query.done] : undefined;
    const assignee =
      d.assigneeId === null
        ? tx.t('staff.queue.assignee.nobody')
        : d.assigneeId === user.id
          ? tx.t('staff.queue.assignee.you')
          : (more.names.get(d.assigneeId) ?? tx.t('staff.queue.assignee.other'));
    return (
      <Layout
        tx={tx}
        title={`${title} – ${d.procedureName}`}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="staff"
        role={user.role}
        hasErrors={errors.length > 0}
      >
        <a href="/staff" class="govuk-back-link">
          {e(tx.t('staff.dossier.back'))}
        </a>
        <ErrorSummary tx={tx} errors={errors} />
        {done ? (
          <Notice tx={tx} success>
            {e(tx.t(done))}
          </Notice>
        ) : (
          ''
        )}
        <span class="govuk-caption-l">{e(d.procedureName)}</span>
        <h1 class="govuk-heading-l">{e(title)}</h1>
        <p class="govuk-body">
          <strong class="govuk-tag" id="dossier-state">
            {e(stateLabel(tx, d.state))}
          </strong>{' '}
          <DeadlineTags
            tx={tx}
            overdue={d.standing === 'overdue'}
            dueSoon={d.standing === 'due_soon'}
            paused={d.clockPaused}
          />
        </p>
        <SummaryList
          rows={[
            [tx.t('dossiers.code'), e(title)],
            [tx.t('staff.dossier.assignee'), <span id="dossier-assignee">{e(assignee)}</span>],
            [tx.t('dossier.submittedAt'), e(d.submittedAt ? tx.dateTime(d.submittedAt) : tx.t('dossier.notYet'))],
            [tx.t('dossier.receivedAt'), e(d.receivedAt ? tx.dateTime(d.receivedAt) : tx.t('staff.queue.notReceived'))],
            [
              tx.t('dossiers.dueAt'),
              <span id="dossier-due">
                {e(d.dueAt ? tx.date(d.dueAt) : tx.t('dossiers.dueAt.none'))}
                {d.clockPaused ? ` ${e(tx.t('dossiers.paused'))}` : ''}
              </span>,
            ],
            ...d.apologies.map((a): [string, JSX.Element] => [
              tx.t('dossier.apology'),
              <>
                {e(tx.t('dossier.apology.newDate', { date: tx.date(a.newDueAt) }))}
                <br />
                {e(a.reason)}
              </>,
            ]),
            [
              tx.t('staff.dossier.delivery'),
              e(tx.t(d.delivery.method === 'post' ? 'staff.dossier.delivery.post' : 'staff.dossier.delivery.online')),
            ],
          ]}
        />

        {this.actionsSection(c, l, terminal)}
        {this.resultSection(c, l, errors)}
        {this.apologySection(c, l, errors)}

        <h2 class="govuk-heading-m" id="answers">
          {e(tx.t('staff.dossier.answers'))}
        </h2>
        <Answers tx={tx} schema={l.version.formSchema} data={d.formData} />
        {d.delivery.method === 'post' ? (
          <p class="govuk-body">
            {e(tx.t('staff.dossier.delivery.address'))}: {e(d.delivery.recipient ?? '')}, {e(d.delivery.address ?? '')},{' '}
            {e(d.delivery.phone ?? '')}
          </p>
        ) : (
          ''
        )}

        {this.documentsSection(c, l, more.docs)}
        {d.payment ? this.paymentSection(c, l, more.requests) : ''}
        {this.messagesSection(c, more.messages)}

        <h2 class="govuk-heading-m" id="timeline">
          {e(tx.t('dossier.timeline'))}
        </h2>
        <ol class="govuk-list portal-timeline">
          {[...more.history].reverse().map((h) => (
            <li>
              <h3 class="govuk-heading-s govuk-!-margin-bottom-1">{e(this.historyLabel(tx, h.action))}</h3>
              <p class="govuk-body-s govuk-!-margin-bottom-1">
                <time datetime={new Date(h.at).toISOString()}>{e(tx.dateTime(h.at))}</time> ·{' '}
                {e(this.roleLabel(tx, h.actorRole))} · {e(stateLabel(tx, h.toState))}
              </p>
              {h.comment ? <p class="govuk-body">{e(h.comment)}</p> : ''}
            </li>
          ))}
        </ol>
      </Layout>
    );
  }

  private actionsSection(c: PageContext, l: Loaded, terminal: boolean): JSX.Element {
    const { tx } = c;
    const { d, user } = l;
    const base = `/staff/dossiers/${d.id}`;
    const actions = this.actions(l);
    const claimable = !terminal && !!d.submittedAt && d.assigneeId !== user.id && user.role !== 'admin';
    return (
      <div id="actions">
        <h2 class="govuk-heading-m">{e(tx.t('dossier.actions'))}</h2>
        {!actions.length && !claimable ? <p class="govuk-body">{e(tx.t('staff.dossier.noActions'))}</p> : ''}
        <div class="govuk-button-group portal-actions">
          {claimable ? (
            <form method="post" action={`${base}/claim`} novalidate>
              <Csrf token={c.csrf()} />
              <input type="hidden" name="version" value={String(d.version)} />
              <Button secondary>{e(tx.t('staff.dossier.claim'))}</Button>
            </form>
          ) : (
            ''
          )}
          {actions.map((key) =>
            needsComment(this.actionDef(l, key)) ? (
              <a
                class="govuk-button govuk-button--secondary"
                data-module="govuk-button"
                role="button"
                draggable="false"
                href={`${base}/actions/${key}?version=${d.version}`}
              >
                {e(`${this.actionLabel(tx, l, key)}…`)}
              </a>
            ) : (
              <form method="post" action={`${base}/actions/${key}`} novalidate>
                <Csrf token={c.csrf()} />
                <input type="hidden" name="version" value={String(d.version)} />
                <Button>{e(this.actionLabel(tx, l, key))}</Button>
              </form>
            ),
          )}
        </div>
      </div>
    );
  }

  /** The issuing action of this dossier's workflow the user may take now (its `issueResult` effect), if any. */
  private issuingAction(l: Loaded): string | undefined {
    return this.actions(l).find((k) => this.actionDef(l, k)?.effects?.includes('issueResult'));
  }

  private resultSection(c: PageContext, l: Loaded, errors: FormErrors): JSX.Element {
    const { tx } = c;
    const { d } = l;
    const base = `/staff/dossiers/${d.id}`;
    const issuing = this.issuingAction(l);
    if (!d.result && !issuing) return '';
    const error = errors.find((x) => x.field === 'result-file');
    return (
      <>
        <h2 class="govuk-heading-m" id="result">
          {e(tx.t('dossier.result'))}
        </h2>
        {d.result ? (
          <ResultSummary tx={tx} result={d.result} downloadHref={`${base}/result`} />
        ) : (
          <>
            <p class="govuk-body">
              {e(tx.t('staff.dossier.result.hint', { action: this.actionLabel(tx, l, issuing!) }))}
            </p>
            <form method="post" action={`${base}/result`} enctype="multipart/form-data" novalidate>
              <Csrf token={c.csrf()} />
              <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
                <label class="govuk-label" for="result-file">
                  {e(tx.t('staff.dossier.result.label'))}
                </label>
                <ErrorMessage tx={tx} id="result-file" error={error} />
                <input
                  class={`govuk-file-upload${error ? ' govuk-file-upload--error' : ''}`}
                  id="result-file"
                  name="file"
                  type="file"
                  accept="application/pdf,.pdf"
                  aria-describedby={error ? 'result-file-error' : undefined}
                />
              </div>
              <Button secondary>{e(tx.t('staff.dossier.result.upload'))}</Button>
            </form>
          </>
        )}
      </>
    );
  }

  private apologySection(c: PageContext, l: Loaded, errors: FormErrors): JSX.Element {
    const { tx } = c;
    const { d } = l;
    if (!d.receivedAt || d.finishedAt || !d.dueAt) return '';
    const reasonError = errors.find((x) => x.field === 'apology-reason');
    const dateError = errors.find((x) => x.field === 'apology-date');
    const group = (err: unknown) => `govuk-form-group${err ? ' govuk-form-group--error' : ''}`;
    return (
      <details class="govuk-details" id="apology" open={reasonError || dateError ? true : undefined}>
        <summary class="govuk-details__summary">
          <span class="govuk-details__summary-text">{e(tx.t('staff.dossier.apology.open'))}</span>
        </summary>
        <div class="govuk-details__text">
          <form method="post" action={`/staff/dossiers/${d.id}/apology`} novalidate>
            <Csrf token={c.csrf()} />
            <input type="hidden" name="version" value={String(d.version)} />
            <div class={group(reasonError)}>
              <label class="govuk-label" for="apology-reason">
                {e(tx.t('staff.dossier.apology.reason'))}
              </label>
              <ErrorMessage tx={tx} id="apology-reason" error={reasonError} />
              <textarea
                class={`govuk-textarea${reasonError ? ' govuk-textarea--error' : ''}`}
                id="apology-reason"
                name="reason"
                rows="3"
                aria-describedby={reasonError ? 'apology-reason-error' : undefined}
              >
                {e(field(c.body, 'reason'))}
              </textarea>
            </div>
            <div class={group(dateError)}>
              <label class="govuk-label" for="apology-date">
                {e(tx.t('staff.dossier.apology.date'))}
              </label>
              <div id="apology-date-hint" class="govuk-hint">
                {e(tx.t('staff.dossier.apology.dateHint'))}
              </div>
              <ErrorMessage tx={tx} id="apology-date" error={dateError} />
              <input
                class={`govuk-input govuk-input--width-10${dateError ? ' govuk-input--error' : ''}`}
                id="apology-date"
                name="newDueAt"
                type="text"
                inputmode="numeric"
                value={field(c.body, 'newDueAt') || undefined}
                aria-describedby={`apology-date-hint${dateError ? ' apology-date-error' : ''}`}
              />
            </div>
            <Button secondary>{e(tx.t('staff.dossier.apology.submit'))}</Button>
          </form>
        </div>
      </details>
    );
  }

  private documentsSection(c: PageContext, l: Loaded, docs: ListedDocument[]): JSX.Element {
    const { tx } = c;
    const base = `/staff/dossiers/${l.d.id}`;
    const names = new Map(l.version.requiredDocuments.map((r) => [r.key, r.name]));
    return (
      <>
        <h2 class="govuk-heading-m" id="documents">
          {e(tx.t('dossier.documents'))}
        </h2>
        {docs.length ? '' : <p class="govuk-body">{e(tx.t('dossier.documents.none'))}</p>}
        {docs.map((doc) => {
          const href = `${base}/documents/${doc.id}`;
          return (
            <div class="govuk-summary-card portal-document-card" id={`doc-${doc.id}`}>
              <div class="govuk-summary-card__title-wrapper">
                <h3 class="govuk-summary-card__title">{e(names.get(doc.documentKey) ?? doc.documentKey)}</h3>
                <ul class="govuk-summary-card__actions">
                  <li class="govuk-summary-card__action">
                    <a class="govuk-link" href={href} download={doc.fileName}>
                      {e(tx.t('staff.dossier.download'))}
                      <span class="govuk-visually-hidden"> {e(doc.fileName)}</span>
                    </a>
                  </li>
                </ul>
              </div>
              <div class="govuk-summary-card__content">
                <p class="govuk-body-s">
                  {e(doc.fileName)} · {e(this.size(tx, Number(doc.sizeBytes)))} ·{' '}
                  {e(this.roleLabel(tx, doc.uploadedRole))} · {e(tx.dateTime(doc.createdAt))}
                </p>
                {doc.contentType === 'application/pdf' ? (
                  <iframe
                    class="portal-document-preview"
                    src={`${href}?inline=1`}
                    title={tx.t('staff.dossier.preview', { name: doc.fileName })}
                    loading="lazy"
                  ></iframe>
                ) : doc.contentType.startsWith('image/') ? (
                  <img
                    class="portal-document-image"
                    src={`${href}?inline=1`}
                    alt={tx.t('staff.dossier.preview', { name: doc.fileName })}
                    loading="lazy"
                  />
                ) : (
                  ''
                )}
              </div>
            </div>
          );
        })}
      </>
    );
  }

  private paymentSection(
    c: PageContext,
    l: Loaded,
    requests: Awaited<ReturnType<PaymentsService['list']>>,
  ): JSX.Element {
    const { tx } = c;
    const p = l.d.payment!;
    const base = `/staff/dossiers/${l.d.id}`;
    const receipts = requests.flatMap((r) => r.attempts).filter((a) => a.receiptNumber);
    return (
      <>
        <h2 class="govuk-heading-m" id="payment">
          {e(tx.t('dossier.payment'))}
        </h2>
        <SummaryList
          rows={[
            ...p.items.map((i): [string, JSX.Element] => [i.name, e(tx.money(i.amount))]),
            [tx.t('procedure.fees.total'), <strong id="payment-amount">{e(tx.money(p.amountVnd))}</strong>],
            [
              tx.t('dossier.payment.status'),
              <strong class="govuk-tag" id="payment-status">
                {e(tx.t(`dossier.payment.status.${p.status}` as MessageKey))}
              </strong>,
            ],
            ...(p.paidAt ? [[tx.t('dossier.payment.paidAt'), e(tx.dateTime(p.paidAt))] as [string, JSX.Element]] : []),
          ]}
        />
        {receipts.length ? (
          <ul class="govuk-list" id="payment-receipts">
            {receipts.map((a) => (
              <li>
                <a class="govuk-link" href={`${base}/payments/${a.id}/receipt`}>
                  {e(tx.t('dossier.payment.receipt', { number: a.receiptNumber! }))}
                </a>
              </li>
            ))}
          </ul>
        ) : (
          ''
        )}
      </>
    );
  }

  private messagesSection(c: PageContext, messages: DossierMessage[]): JSX.Element {
    const { tx } = c;
    return (
      <>
        <h2 class="govuk-heading-m" id="messages">
          {e(tx.t('staff.dossier.messages'))}
        </h2>
        {messages.length ? (
          <ul class="govuk-list portal-results" id="messages-list">
            {messages.map((m) => (
              <li>
                <strong>{e(this.historyLabel(tx, m.event))}</strong> ·{' '}
                {e(tx.t(m.channel === 'sms' ? 'staff.dossier.channel.sms' : 'staff.dossier.channel.email'))} ·{' '}
                {e(this.roleLabel(tx, m.recipientRole))}
                <br />
                <span class="govuk-body-s">
                  {e(
                    tx.t(
                      m.status === 'sent'
                        ? 'staff.dossier.message.sent'
                        : m.status === 'failed'
                          ? 'staff.dossier.message.failed'
                          : 'staff.dossier.message.sending',
                    ),
                  )}{' '}
                  · {e(tx.dateTime(m.sentAt ?? m.createdAt))}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="govuk-body">{e(tx.t('staff.dossier.messages.none'))}</p>
        )}
      </>
    );
  }

  private size(tx: Texts, bytes: number): string {
    return bytes >= 1024 * 1024
      ? tx.t('dossier.size.mb', { n: (bytes / (1024 * 1024)).toFixed(1) })
      : tx.t('dossier.size.kb', { n: Math.max(1, Math.round(bytes / 1024)) });
  }

  // ------------------------------------------------------------------ the conflict page

  /** Another clerk acted first: what happened (the latest step, by whom, the state now), a link to reload; 409. */
  private async conflict(c: PageContext, attempted: string): Promise<PageResult> {
    const { tx } = c;
    const l = await this.load(c);
    const history = await this.applications.history(l.user, l.d.id);
    const last = history[history.length - 1];
    const title = tx.t('staff.conflict.title');
    const html = (
      <Layout tx={tx} title={title} path={c.path} signedIn csrf={c.csrf()} nav="staff" role={l.user.role}>
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <span class="govuk-caption-l">
              {e(l.d.procedureName)} – {e(l.d.code ?? '')}
            </span>
            <h1 class="govuk-heading-l" id="conflict">
              {e(title)}
            </h1>
            <p class="govuk-body">{e(tx.t('staff.conflict.body', { action: attempted }))}</p>
            {last ? (
              <div class="govuk-inset-text" id="conflict-what">
                {e(
                  tx.t('staff.conflict.what', {
                    action: this.historyLabel(tx, last.action),
                    who: this.roleLabel(tx, last.actorRole),
                    at: tx.dateTime(last.at),
                  }),
                )}
                {last.comment ? (
                  <>
                    <br />
                    {e(last.comment)}
                  </>
                ) : (
                  ''
                )}
              </div>
            ) : (
              ''
            )}
            <p class="govuk-body" id="conflict-state">
              {e(tx.t('staff.conflict.state'))} <strong class="govuk-tag">{e(stateLabel(tx, l.d.state))}</strong>
            </p>
            <p class="govuk-body">
              <a
                class="govuk-button"
                data-module="govuk-button"
                role="button"
                draggable="false"
                href={`/staff/dossiers/${l.d.id}`}
              >
                {e(tx.t('staff.conflict.reload'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
    return new Html(html, 409);
  }

  // ------------------------------------------------------------------ steps

  private async claim(c: PageContext): Promise<PageResult> {
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    try {
      await this.applications.assign(user, id, undefined, this.expected(c));
    } catch (err) {
      if (this.isConflict(err)) return this.conflict(c, c.tx.t('staff.dossier.claim'));
      throw err;
    }
    return new Redirect(`/staff/dossiers/${id}?done=claimed`);
  }

  /** The confirmation page of an action, with its comment (required where the workflow says so). */
  private async confirm(c: PageContext, errors: FormErrors = []): Promise<PageResult> {
    const { tx } = c;
    const l = await this.load(c);
    const key = (c.req.params as { action: string }).action;
    if (!ACTION_KEY.test(key) || key === SUBMIT_ACTION) throw new NotFound('action');
    const def = this.actionDef(l, key);
    if (!def) throw new NotFound('action');
    const seen = c.body.version ?? c.query.version;
    const version = seen && /^\d{1,9}$/.test(seen) ? seen : String(l.d.version);
    if (!l.d.availableActions.includes(key)) {
      // The page was opened from an older view: the action is no longer possible.
      if (version !== String(l.d.version)) return this.conflict(c, this.actionLabel(tx, l, key));
      throw new NotFound('action');
    }
    const required = needsComment(def);
    const label = this.actionLabel(tx, l, key);
    const error = errors.find((x) => x.field === 'comment');
    const html = (
      <Layout
        tx={tx}
        title={label}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="staff"
        role={l.user.role}
        hasErrors={errors.length > 0}
      >
        <a href={`/staff/dossiers/${l.d.id}`} class="govuk-back-link">
          {e(tx.t('staff.dossier.backToDossier'))}
        </a>
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <span class="govuk-caption-l">
              {e(l.d.procedureName)} – {e(l.d.code ?? '')}
            </span>
            <h1 class="govuk-heading-l">{e(label)}</h1>
            <form method="post" action={`/staff/dossiers/${l.d.id}/actions/${key}`} novalidate>
              <Csrf token={c.csrf()} />
              <input type="hidden" name="version" value={version} />
              <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
                <label class="govuk-label govuk-label--s" for="comment">
                  {e(tx.t(required ? 'staff.dossier.comment.required' : 'staff.dossier.comment.optional'))}
                </label>
                <div id="comment-hint" class="govuk-hint">
                  {e(tx.t('staff.dossier.comment.hint'))}
                </div>
                <ErrorMessage tx={tx} id="comment" error={error} />
                <textarea
                  class={`govuk-textarea${error ? ' govuk-textarea--error' : ''}`}
                  id="comment"
                  name="comment"
                  rows="5"
                  aria-describedby={`comment-hint${error ? ' comment-error' : ''}`}
                >
                  {e(field(c.body, 'comment'))}
                </textarea>
              </div>
              {key === SUPPLEMENT_REQUEST_ACTION ? <SupplementItemsField c={c} errors={errors} /> : ''}
              <div class="govuk-button-group">
                <Button>{e(label)}</Button>
                <a class="govuk-link" href={`/staff/dossiers/${l.d.id}`}>
                  {e(tx.t('staff.dossier.cancel'))}
                </a>
              </div>
            </form>
          </div>
        </div>
      </Layout>
    );
    return errors.length ? new Html(html, 422) : html;
  }

  private async act(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    const key = (c.req.params as { action: string }).action;
    if (!ACTION_KEY.test(key) || key === SUBMIT_ACTION) throw new NotFound('action');
    const comment = field(c.body, 'comment');
    if (comment.length > MAX_COMMENT)
      return this.confirm(c, [{ field: 'comment', message: tx.t('dossier.error.tooLong') }]);
    // Scoped first: another agency's dossier is not found, whatever the form says.
    const row = await this.applications.find(user, id);
    const version = await this.procedures.version(row.procedure_version_id);
    const def = version.workflow.actions.find((a) => a.key === key);
    if (!def) throw new NotFound('action');
    if (needsComment(def) && !comment)
      return this.confirm(c, [{ field: 'comment', message: tx.t('staff.dossier.comment.missing') }]);
    const items = key === SUPPLEMENT_REQUEST_ACTION ? itemsOfField(field(c.body, 'items')) : undefined;
    try {
      await this.applications.act(user, id, key, {
        comment: comment || undefined,
        expectedVersion: this.expected(c),
        ...(items ? { items } : {}),
      });
    } catch (err) {
      if (err instanceof ValidationFailed && err.errors?.some((x) => x.field.startsWith('items')))
        return this.confirm(c, [{ field: 'items', message: tx.t('rulesa.supplement.itemsInvalid') }]);
      if (err instanceof ValidationFailed || (err instanceof WorkflowError && err.code === 'missing_requirement'))
        return this.confirm(c, [{ field: 'comment', message: tx.t('staff.dossier.comment.missing') }]);
      if (this.isConflict(err)) {
        const label = (tx.t(`staff.dossier.do.${key}` as MessageKey) as string | undefined) ?? def.label ?? key;
        return this.conflict(c, label);
      }
      throw err;
    }
    return new Redirect(`/staff/dossiers/${id}?done=action`);
  }

  /** The signed result (PDF), staged by the same ResultsService.stage as POST /api/v1/applications/:id/result. */
  private async uploadResult(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    const dossier = await this.applications.find(user, id);
    let upload;
    try {
      upload = await readOneFile(c.req, ['_csrf']);
    } catch (err) {
      const status = (err as { statusCode?: number; status?: number }).statusCode ?? (err as AppError).status;
      if (status === 413 || (err instanceof AppError && [400, 415, 422].includes(err.status)))
        return this.show(c, [{ field: 'result-file', message: tx.t('staff.dossier.result.choose') }], 422);
      throw err;
    }
    if (!this.sessions.checkCsrf(c.req, c.session, upload.fields._csrf)) throw new CsrfFailure();
    try {
      await this.results.stage(user, dossier, upload.content);
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404) throw err;
      if (err.status === 409) return this.conflict(c, tx.t('staff.dossier.result.upload'));
      if (err instanceof SignatureRefused)
        return this.show(
          c,
          [{ field: 'result-file', message: tx.t(`sign.refused.${err.problem}` as MessageKey) }],
          422,
        );
      return this.show(c, [{ field: 'result-file', message: tx.t('staff.dossier.result.choose') }], 422);
    }
    return new Redirect(`/staff/dossiers/${id}?done=result#result`);
  }

  private async apologize(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    await this.applications.find(user, id);
    const reason = field(c.body, 'reason');
    const date = DATE.exec(field(c.body, 'newDueAt'));
    const errors: FormErrors = [];
    if (reason.length < 5 || reason.length > 2000)
      errors.push({ field: 'apology-reason', message: tx.t('staff.dossier.apology.reasonMissing') });
    // The new date's end of office hours, Vietnam time.
    const newDueAt = date
      ? new Date(`${date[3]}-${date[2].padStart(2, '0')}-${date[1].padStart(2, '0')}T17:00:00+07:00`)
      : null;
    if (!newDueAt || Number.isNaN(newDueAt.getTime()))
      errors.push({ field: 'apology-date', message: tx.t('staff.dossier.apology.dateMissing') });
    if (errors.length) return this.show(c, errors, 422);
    try {
      await this.applications.apologize(user, id, reason, newDueAt!);
    } catch (err) {
      if (err instanceof ValidationFailed) return this.show(c, [apologyDateError(tx, err)], 422);
      if (this.isConflict(err)) return this.conflict(c, tx.t('staff.dossier.apology.submit'));
      throw err;
    }
    return new Redirect(`/staff/dossiers/${id}?done=apology`);
  }

  // ------------------------------------------------------------------ files

  /** A document, through DocumentsService.download with the staff user: inline (`?inline=1`, for the preview) or as a download. */
  private async document(c: PageContext): Promise<PageResult> {
    const user = staffUser(c, ROLES);
    const doc = await this.documents.download(user, this.param(c, 'id'), this.param(c, 'docId'));
    return fileAnswer(doc.content, doc.contentType, doc.fileName, c.query.inline === '1');
  }

  private async paymentReceipt(c: PageContext): Promise<PageResult> {
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    await this.applications.find(user, id);
    const { pdf, number } = await this.payments.receiptPdf(id, this.param(c, 'attemptId'));
    return fileAnswer(pdf, 'application/pdf', `bien-lai-${number}.pdf`);
  }

  /** The issued result, as GET /api/v1/applications/:id/result for staff (the download is recorded). */
  private async resultFile(c: PageContext): Promise<PageResult> {
    const user = staffUser(c, ROLES);
    const id = this.param(c, 'id');
    await this.applications.find(user, id);
    const file = await this.results.download(id, { accountId: user.id, via: 'staff', ip: c.req.ip ?? null });
    return fileAnswer(file.content, 'application/pdf', file.fileName);
  }
}

/** The apology form's date error for the rule the service refused it by (apology.ts). */
function apologyDateError(tx: Texts, err: ValidationFailed): { field: string; message: string } {
  const message = err.errors?.[0]?.message;
  const key: MessageKey =
    message === APOLOGY_TOO_LATE
      ? 'rulesa.apology.tooLate'
      : message === APOLOGY_NOT_WORKING_TIME
        ? 'rulesa.apology.notWorkingTime'
        : 'staff.dossier.apology.dateLater';
  return { field: 'apology-date', message: tx.t(key) };
}

/** The staff's list of items to supplement: one per line (blank lines dropped); none: undefined (the comment's lines). */
function itemsOfField(text: string): { name: string }[] | undefined {
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return names.length ? names.map((name) => ({ name })) : undefined;
}

/** The request_supplement confirmation's "one item per line" field. */
function SupplementItemsField({ c, errors }: { c: PageContext; errors: FormErrors }): JSX.Element {
  const { tx } = c;
  const error = errors.find((x) => x.field === 'items');
  return (
    <div class={`govuk-form-group${error ? ' govuk-form-group--error' : ''}`}>
      <label class="govuk-label govuk-label--s" for="items">
        {e(tx.t('rulesa.supplement.items'))}
      </label>
      <div id="items-hint" class="govuk-hint">
        {e(tx.t('rulesa.supplement.itemsHint'))}
      </div>
      <ErrorMessage tx={tx} id="items" error={error} />
      <textarea
        class={`govuk-textarea${error ? ' govuk-textarea--error' : ''}`}
        id="items"
        name="items"
        rows="6"
        aria-describedby={`items-hint${error ? ' items-error' : ''}`}
      >
        {e(field(c.body, 'items'))}
      </textarea>
    </div>
  );
}

/** The action asks for a comment; an approver's `finding` (rule 9) is written in the same box. */
function needsComment(def: { requires?: string[] } | undefined): boolean {
  return (def?.requires ?? []).some((r) => r === 'comment' || r === 'finding');
}
