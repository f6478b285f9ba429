import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import { ApplicationsService } from '../../applications/applications.service';
import type { DossierRow } from '../../applications/dossier';
import type { HistoryItem } from '../../applications/dossier.repository';
import type { DossierView } from '../../applications/dossier.view';
import { itemsOfEntry, SUPPLEMENT_REQUEST_ACTION } from '../../applications/supplement';
import type { ListedDocument } from '../../applications/documents.repository';
import { DocumentsService } from '../../applications/documents.service';
import type { AuthUser } from '../../auth/auth-user';
import { AppError, Conflict, NotFound, ValidationFailed } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import { ResultsService } from '../../delivery/results.service';
import type { AttemptState } from '../../payments/payments.repository';
import { PaymentsService } from '../../payments/payments.service';
import { ProceduresService, PublishedVersion } from '../../procedures/procedures.service';
import { readOneFile } from '../../storage/upload';
import { SUBMIT_ACTION, type ActionDefinition } from '../../workflow/definition';
import { canEdit, stateOf, submitActionFor, systemActionFor } from '../../workflow/engine';
import { WorkflowError } from '../../workflow/errors';
import { Button, Csrf, e, ErrorSummary, FormErrors, Notice, Radios, SummaryList } from '../components';
import { Answers } from '../forms/answers';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { CsrfFailure, field, Html, PageContext, PageResult, PageRoute, Raw, Redirect } from '../page';
import { WebSessions } from '../web-sessions';
import { ResultSummary } from '../result-summary';
import { stateLabel } from './public.page';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;
const ACTION_KEY = /^[a-z][a-z0-9_]{0,63}$/;
const TXN_REF = /^[A-Za-z0-9]{1,64}$/;
const DOC_KEY = /^[a-z0-9_]{1,64}$/;
const PAID: AttemptState[] = ['succeeded', 'refund_pending', 'refunded'];
const UNPAID: AttemptState[] = ['failed', 'cancelled', 'expired'];

/** Everything a dossier page shows, read through the same services as the API. */
interface Loaded {
  user: AuthUser;
  d: DossierView;
  row: DossierRow;
  version: PublishedVersion;
}

const pdfAnswer = (content: Buffer, fileName: string) =>
  new Raw(content, {
    'content-type': 'application/pdf',
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
  });

/**
 * `/dossiers/:id` and its steps: the citizen's dossier (state, due date, timeline, documents, payment, result,
 * parcel, rating) and every citizen action of its workflow (generic: the buttons come from `availableActions`).
 * Another citizen's dossier, a staff account, a missing one or a bad id: the same not-found page.
 */
@Injectable()
export class DossierPage {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly documents: DocumentsService,
    private readonly payments: PaymentsService,
    private readonly results: ResultsService,
    private readonly procedures: ProceduresService,
    private readonly sessions: WebSessions,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  routes(): PageRoute[] {
    const r = (
      method: 'GET' | 'POST',
      url: string,
      handler: (c: PageContext) => Promise<PageResult>,
      extra: Partial<PageRoute> = {},
    ): PageRoute => ({ method, url: `/dossiers/:id${url}`, handler, signedIn: true, ...extra });
    return [
      r('GET', '', (c) => this.show(c)),
      r('POST', '/documents', (c) => this.upload(c), { multipart: true }),
      r('GET', '/documents/:docId', (c) => this.downloadDocument(c)),
      r('POST', '/documents/:docId/remove', (c) => this.removeDocument(c)),
      r('GET', '/check', (c) => this.check(c)),
      r('POST', '/submit', (c) => this.submit(c)),
      r('GET', '/receipt', (c) => this.receipt(c)),
      r('POST', '/actions/:action', (c) => this.act(c)),
      r('GET', '/withdraw', (c) => this.withdrawForm(c)),
      r('POST', '/withdraw', (c) => this.withdraw(c)),
      r('POST', '/pay', (c) => this.pay(c)),
      r('GET', '/payment', (c) => this.paymentOutcome(c)),
      r('GET', '/payment/status', (c) => this.paymentStatus(c)),
      r('GET', '/payments/:attemptId/receipt', (c) => this.paymentReceipt(c)),
      r('GET', '/result', (c) => this.result(c)),
      r('POST', '/rating', (c) => this.rate(c)),
    ];
  }

  // ------------------------------------------------------------------ loading

  private param(c: PageContext, name: string): string {
    const v = (c.req.params as Record<string, string | undefined>)[name] ?? '';
    if (!UUID.test(v)) throw new NotFound('page');
    return v;
  }

  /** The signed-in citizen (staff have their own console: this page is not found for them). */
  private user(c: PageContext): AuthUser {
    const s = c.session!;
    if (s.role !== 'citizen') throw new NotFound('page');
    return { id: s.accountId, role: s.role, agencyId: s.agencyId };
  }

  private async load(c: PageContext): Promise<Loaded> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    const row = await this.applications.find(user, id);
    const [d, version] = await Promise.all([
      this.applications.get(user, id),
      this.procedures.version(row.procedure_version_id),
    ]);
    return { user, d, row, version };
  }

  /** The citizen's action that files the dossier from its state (submit, or sending a supplement), as the API's submit picks it. */
  private filingAction(l: Loaded): ActionDefinition | undefined {
    if (!l.d.availableActions.length) return undefined;
    return submitActionFor(l.version.workflow, l.d.state);
  }

  private editable(l: Loaded): boolean {
    return canEdit(l.version.workflow, l.d.state, 'citizen');
  }

  private actionLabel(tx: Texts, l: Loaded, key: string): string {
    const known = tx.t(`dossier.do.${key}` as MessageKey) as string | undefined;
    return known ?? l.version.workflow.actions.find((a) => a.key === key)?.label ?? key;
  }

  private historyLabel(tx: Texts, key: string): string {
    return tx.t(`dossier.history.${key}` as MessageKey) ?? tx.t('dossier.history.other');
  }

  private payOrigin(): string | undefined {
    try {
      return new URL(this.config.get('VNPAY_PAY_URL', { infer: true })).origin;
    } catch {
      return undefined;
    }
  }

  /** What the dossier page says about a refused step, per kind of refusal (nothing was written). */
  private problem(tx: Texts, err: unknown, fieldName: string): FormErrors | undefined {
    if (err instanceof ValidationFailed) {
      return (err.errors ?? [{ field: fieldName, message: '' }]).map((x) => ({
        field: x.field.startsWith('documents.') ? `doc-${x.field.slice(10)}` : fieldName,
        message: x.field.startsWith('documents.')
          ? tx.t('dossier.error.documentMissing')
          : x.field === 'comment'
            ? tx.t('dossier.error.comment')
            : tx.t('dossier.error.incomplete'),
      }));
    }
    if (err instanceof WorkflowError || (err instanceof AppError && (err.status === 409 || err.status === 403))) {
      return [{ field: fieldName, message: tx.t('dossier.error.changed') }];
    }
    return undefined;
  }

  // ------------------------------------------------------------------ the dossier page

  private async show(c: PageContext, errors: FormErrors = [], status = 200): Promise<PageResult> {
    // One statement (scoped): the dossier with what surrounds it, its history and its documents; then its payments
    // (the payments module's), only when it has a payment request.
    const user = this.user(c);
    const { row, view: d, history, documents: docs } = await this.applications.detail(user, this.param(c, 'id'));
    const [version, requests] = await Promise.all([
      this.procedures.version(row.procedure_version_id),
      d.payment ? this.payments.list(d.id) : Promise.resolve([]),
    ]);
    const l: Loaded = { user, d, row, version };
    const html = this.page(c, l, history, docs, requests, errors);
    return status === 200 ? html : new Html(html, status);
  }

  private page(
    c: PageContext,
    l: Loaded,
    history: HistoryItem[],
    docs: ListedDocument[],
    requests: Awaited<ReturnType<PaymentsService['list']>>,
    errors: FormErrors,
  ): JSX.Element {
    const { tx } = c;
    const { d, version } = l;
    const wf = version.workflow;
    const base = `/dossiers/${d.id}`;
    const title = d.code ?? tx.t('dossiers.draft');
    const editable = this.editable(l);
    const filing = this.filingAction(l);
    const terminal = stateOf(wf, d.state).terminal;
    // What the agency asked for when the dossier came back to the citizen (the comment of the step that moved it here).
    const asked =
      editable && !stateOf(wf, d.state).start
        ? [...history].reverse().find((h) => h.toState === d.state && h.fromState !== d.state)
        : undefined;
    const payable = d.payment?.status === 'open' && !!systemActionFor(wf, d.state, 'payment.succeeded');
    if (payable) {
      const origin = this.payOrigin();
      if (origin) c.allowFormAction(origin);
    }
    const others = d.availableActions.filter((a) => a !== filing?.key && a !== 'withdraw');
    return (
      <Layout
        tx={tx}
        title={`${d.procedureName} – ${title}`}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="dossiers"
        hasErrors={errors.length > 0}
      >
        <ErrorSummary tx={tx} errors={errors} />
        {c.notice ? (
          <Notice tx={tx} success>
            {e(tx.t(c.notice))}
          </Notice>
        ) : (
          ''
        )}
        <span class="govuk-caption-l">{e(d.procedureName)}</span>
        <h1 class="govuk-heading-l">{e(title)}</h1>
        <p class="govuk-body">
          <strong class="govuk-tag" id="dossier-state">
            {e(stateLabel(tx, d.state, d.stateLabel))}
          </strong>
        </p>
        <SummaryList
          rows={[
            [tx.t('dossiers.code'), e(title)],
            [tx.t('dossier.submittedAt'), e(d.submittedAt ? tx.dateTime(d.submittedAt) : tx.t('dossier.notYet'))],
            [
              tx.t('dossiers.dueAt'),
              <span id="dossier-due">
                {e(d.dueAt ? tx.date(d.dueAt) : tx.t('dossiers.dueAt.none'))}
                {d.clockPaused ? ` ${e(tx.t('dossiers.paused'))}` : ''}
              </span>,
            ],
            ...(d.supplementRounds > 0
              ? [
                  [
                    tx.t('rulesa.supplement.rounds'),
                    <span id="dossier-supplement-rounds">{d.supplementRounds}</span>,
                  ] as [string, JSX.Element],
                ]
              : []),
            ...d.apologies.map((a): [string, JSX.Element] => [
              tx.t('dossier.apology'),
              <>
                {e(tx.t('dossier.apology.newDate', { date: tx.date(a.newDueAt) }))}
                <br />
                {e(a.reason)}
              </>,
            ]),
          ]}
        />
        {d.code ? (
          <p class="govuk-body">
            <a class="govuk-link" href={`${base}/receipt`}>
              {e(tx.t('dossier.receipt.link'))}
            </a>
          </p>
        ) : (
          ''
        )}

        {asked ? (
          <div class="govuk-inset-text" id="dossier-asked">
            <h2 class="govuk-heading-s">{e(tx.t('dossier.asked.title'))}</h2>
            {asked.comment ? <p class="govuk-body">{e(asked.comment)}</p> : ''}
            <SupplementItems tx={tx} entry={asked} />
          </div>
        ) : (
          ''
        )}

        <div id="actions">
          {filing || d.availableActions.length ? <h2 class="govuk-heading-m">{e(tx.t('dossier.actions'))}</h2> : ''}
          {filing ? (
            <p class="govuk-body">
              <a class="govuk-button" data-module="govuk-button" href={`${base}/check`} role="button" draggable="false">
                {e(tx.t(filing.key === SUBMIT_ACTION ? 'dossier.check.start' : 'dossier.check.startSupplement'))}
              </a>
            </p>
          ) : (
            ''
          )}
          {editable ? (
            <p class="govuk-body">
              <a class="govuk-link" href={`${base}/edit`}>
                {e(tx.t('dossier.answers.edit'))}
              </a>
            </p>
          ) : (
            ''
          )}
          {others.map((key) => {
            const def = wf.actions.find((a) => a.key === key);
            const needsComment = def?.requires?.includes('comment');
            return (
              <form method="post" action={`${base}/actions/${key}`} novalidate class="portal-action">
                <Csrf token={c.csrf()} />
                {needsComment ? (
                  <div class="govuk-form-group">
                    <label class="govuk-label" for={`comment-${key}`}>
                      {e(tx.t('dossier.comment'))}
                    </label>
                    <textarea class="govuk-textarea" id={`comment-${key}`} name="comment" rows="4"></textarea>
                  </div>
                ) : (
                  ''
                )}
                <Button secondary>{e(this.actionLabel(tx, l, key))}</Button>
              </form>
            );
          })}
          {d.availableActions.includes('withdraw') ? (
            <p class="govuk-body">
              <a class="govuk-link" href={`${base}/withdraw`}>
                {e(tx.t('dossier.withdraw.link'))}
              </a>
            </p>
          ) : (
            ''
          )}
        </div>

        {this.documentsSection(c, l, docs)}
        {d.payment ? this.paymentSection(c, l, requests, payable) : ''}
        {this.resultSection(c, l)}

        <h2 class="govuk-heading-m" id="timeline">
          {e(tx.t('dossier.timeline'))}
        </h2>
        <ol class="govuk-list portal-timeline">
          {[...history].reverse().map((h) => (
            <li>
              <h3 class="govuk-heading-s govuk-!-margin-bottom-1">{e(this.historyLabel(tx, h.action))}</h3>
              <p class="govuk-body-s govuk-!-margin-bottom-1">
                <time datetime={new Date(h.at).toISOString()}>{e(tx.dateTime(h.at))}</time> ·{' '}
                {e(stateLabel(tx, h.toState))}
              </p>
              {h.comment ? <p class="govuk-body">{e(h.comment)}</p> : ''}
            </li>
          ))}
        </ol>

        {terminal ? this.ratingSection(c, l, errors) : ''}
      </Layout>
    );
  }

  private documentsSection(c: PageContext, l: Loaded, docs: ListedDocument[]): JSX.Element {
    const { tx } = c;
    const base = `/dossiers/${l.d.id}`;
    const editable = this.editable(l);
    const required = l.version.requiredDocuments;
    if (!required.length && !docs.length) return '';
    return (
      <>
        <h2 class="govuk-heading-m" id="documents">
          {e(tx.t('dossier.documents'))}
        </h2>
        <p class="govuk-body">{e(tx.t('dossier.documents.hint', { size: this.maxFileMb() }))}</p>
        {required.map((r) => {
          const mine = docs.filter((x) => x.documentKey === r.key);
          const latest = mine[mine.length - 1];
          const inputId = `doc-${r.key}`;
          return (
            <div class="govuk-summary-card" id={`card-${r.key}`}>
              <div class="govuk-summary-card__title-wrapper">
                <h3 class="govuk-summary-card__title">
                  {e(r.name)}{' '}
                  <span class="govuk-body-s">
                    ({e(tx.t(r.required ? 'procedure.documents.required' : 'procedure.documents.optional'))})
                  </span>
                </h3>
              </div>
              <div class="govuk-summary-card__content">
                {mine.length ? (
                  <ul class="govuk-list">
                    {mine.map((doc) => (
                      <li class="portal-document">
                        <a class="govuk-link" href={`${base}/documents/${doc.id}`}>
                          {e(doc.fileName)}
                        </a>{' '}
                        <span class="govuk-body-s">({e(this.size(tx, Number(doc.sizeBytes)))})</span>
                        {editable ? (
                          <form method="post" action={`${base}/documents/${doc.id}/remove`} class="portal-inline-form">
                            <Csrf token={c.csrf()} />
                            <button type="submit" class="portal-linkbutton">
                              {e(tx.t('dossier.documents.remove'))}
                              <span class="govuk-visually-hidden"> {e(doc.fileName)}</span>
                            </button>
                          </form>
                        ) : (
                          ''
                        )}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p class="govuk-body">{e(tx.t('dossier.documents.none'))}</p>
                )}
                {editable ? (
                  <form
                    method="post"
                    action={`${base}/documents?key=${r.key}${latest ? `&replace=${latest.id}` : ''}`}
                    enctype="multipart/form-data"
                    novalidate
                    data-upload-progress
                    data-label-progress={tx.t('dossier.upload.progress')}
                    data-label-done={tx.t('dossier.upload.done')}
                  >
                    <Csrf token={c.csrf()} />
                    <div class="govuk-form-group">
                      <label class="govuk-label" for={inputId}>
                        {e(tx.t(latest ? 'dossier.upload.replaceLabel' : 'dossier.upload.label', { name: r.name }))}
                      </label>
                      <input
                        class="govuk-file-upload"
                        id={inputId}
                        name="file"
                        type="file"
                        accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
                      />
                    </div>
                    <Button secondary>{e(tx.t(latest ? 'dossier.upload.replace' : 'dossier.upload.submit'))}</Button>
                  </form>
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
    payable: boolean,
  ): JSX.Element {
    const { tx } = c;
    const p = l.d.payment!;
    const base = `/dossiers/${l.d.id}`;
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
          <ul class="govuk-list">
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
        {payable ? (
          <form method="post" action={`${base}/pay`} novalidate>
            <Csrf token={c.csrf()} />
            <Button>{e(tx.t('dossier.pay', { amount: tx.money(p.amountVnd) }))}</Button>
          </form>
        ) : (
          ''
        )}
      </>
    );
  }

  private resultSection(c: PageContext, l: Loaded): JSX.Element {
    const { tx } = c;
    const { d } = l;
    if (!d.result && !d.shipment) return '';
    return (
      <>
        <h2 class="govuk-heading-m" id="result">
          {e(tx.t('dossier.result'))}
        </h2>
        {d.result ? <ResultSummary tx={tx} result={d.result} downloadHref={`/dossiers/${d.id}/result`} /> : ''}
        {d.shipment ? (
          <SummaryList
            rows={[
              [tx.t('dossier.shipment.waybill'), e(d.shipment.waybill)],
              [
                tx.t('dossier.shipment.status'),
                <strong class="govuk-tag" id="shipment-status">
                  {e(tx.t(`dossier.shipment.${d.shipment.status}` as MessageKey) ?? d.shipment.status)}
                </strong>,
              ],
            ]}
          />
        ) : (
          ''
        )}
      </>
    );
  }

  private ratingSection(c: PageContext, l: Loaded, errors: FormErrors = []): JSX.Element {
    const { tx } = c;
    const { d } = l;
    if (d.state === 'withdrawn' && !d.rating) return '';
    return (
      <>
        <h2 class="govuk-heading-m" id="rating">
          {e(tx.t('dossier.rating'))}
        </h2>
        {d.rating ? (
          <SummaryList
            rows={[
              [tx.t('dossier.rating.score'), <span id="rating-score">{e(`${d.rating.score}/5`)}</span>],
              ...(d.rating.comment
                ? [[tx.t('dossier.rating.comment'), e(d.rating.comment)] as [string, JSX.Element]]
                : []),
              [tx.t('dossier.rating.at'), e(tx.date(d.rating.at))],
            ]}
          />
        ) : (
          <form method="post" action={`/dossiers/${d.id}/rating`} novalidate>
            <Csrf token={c.csrf()} />
            <Radios
              tx={tx}
              name="score"
              legend={tx.t('dossier.rating.question')}
              inline
              errors={errors}
              choices={[1, 2, 3, 4, 5].map((n) => ({
                value: String(n),
                label: tx.t(`dossier.rating.${n}` as MessageKey),
              }))}
            />
            <div class="govuk-form-group">
              <label class="govuk-label" for="rating-comment">
                {e(tx.t('dossier.rating.comment'))}
              </label>
              <textarea class="govuk-textarea" id="rating-comment" name="comment" rows="3"></textarea>
            </div>
            <Button>{e(tx.t('dossier.rating.submit'))}</Button>
          </form>
        )}
      </>
    );
  }

  private maxFileMb(): number {
    return Math.floor(this.config.get('UPLOAD_MAX_BYTES', { infer: true }) / (1024 * 1024));
  }

  private size(tx: Texts, bytes: number): string {
    return bytes >= 1024 * 1024
      ? tx.t('dossier.size.mb', { n: (bytes / (1024 * 1024)).toFixed(1) })
      : tx.t('dossier.size.kb', { n: Math.max(1, Math.round(bytes / 1024)) });
  }

  // ------------------------------------------------------------------ documents

  /**
   * The multipart upload, read by the API's reader (src/storage/upload.ts) and stored by DocumentsService (its type
   * and size rules); the CSRF token is a field of the form. Which document (and the one it replaces) is in the query.
   */
  private async upload(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = this.user(c);
    const id = this.param(c, 'id');
    const key = DOC_KEY.test(c.query.key ?? '') ? c.query.key! : '';
    const replace = c.query.replace && UUID.test(c.query.replace) ? c.query.replace : undefined;
    const fieldId = `doc-${key}`;
    let upload;
    try {
      upload = await readOneFile(c.req, ['_csrf']);
    } catch (err) {
      const status = (err as { statusCode?: number; status?: number }).statusCode ?? (err as AppError).status;
      if (status === 413)
        return this.show(
          c,
          [{ field: fieldId, message: tx.t('dossier.upload.tooBig', { size: this.maxFileMb() }) }],
          413,
        );
      if (err instanceof AppError && (status === 415 || status === 422 || status === 400))
        return this.show(c, [{ field: fieldId, message: tx.t('dossier.upload.choose') }], 422);
      throw err;
    }
    if (!this.sessions.checkCsrf(c.req, c.session, upload.fields._csrf)) throw new CsrfFailure();
    try {
      await this.documents.upload(user, id, key, { fileName: upload.fileName, content: upload.content });
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404) throw err;
      const message =
        err.status === 415
          ? tx.t('dossier.upload.type')
          : err instanceof Conflict && err.slug.startsWith('dossier-')
            ? tx.t('dossier.upload.limit')
            : err.status === 409
              ? tx.t('dossier.error.changed')
              : tx.t('dossier.upload.choose');
      return this.show(c, [{ field: fieldId, message }], err.status === 415 ? 415 : 422);
    }
    if (replace) {
      await this.documents.remove(user, id, replace).catch((err: unknown) => {
        if (!(err instanceof NotFound)) throw err;
      });
    }
    return new Redirect(`/dossiers/${id}?notice=dossier-uploaded#documents`);
  }

  private async removeDocument(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    const docId = this.param(c, 'docId');
    try {
      await this.documents.remove(user, id, docId);
    } catch (err) {
      const errors = this.problem(c.tx, err, 'documents');
      if (!errors) throw err;
      return this.show(c, errors, 409);
    }
    return new Redirect(`/dossiers/${id}?notice=dossier-removed#documents`);
  }

  private async downloadDocument(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const doc = await this.documents.download(user, this.param(c, 'id'), this.param(c, 'docId'));
    return new Raw(doc.content, {
      'content-type': doc.contentType,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(doc.fileName)}`,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    });
  }

  // ------------------------------------------------------------------ check your answers, submit, receipt

  private async check(c: PageContext, errors: FormErrors = []): Promise<PageResult> {
    const { tx } = c;
    const l = await this.load(c);
    const filing = this.filingAction(l);
    if (!filing) return new Redirect(`/dossiers/${l.d.id}`);
    const docs = await this.documents.list(l.user, l.d.id);
    const first = filing.key === SUBMIT_ACTION;
    const heading = tx.t(first ? 'dossier.check.title' : 'dossier.check.titleSupplement');
    const html = (
      <Layout
        tx={tx}
        title={heading}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="dossiers"
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <span class="govuk-caption-l">{e(l.d.procedureName)}</span>
            <h1 class="govuk-heading-l">{e(heading)}</h1>
            <h2 class="govuk-heading-m">{e(tx.t('dossier.check.answers'))}</h2>
            <Answers
              tx={tx}
              schema={l.version.formSchema}
              data={l.d.formData}
              changeHref={`/dossiers/${l.d.id}/edit`}
            />
            <h2 class="govuk-heading-m">{e(tx.t('dossier.documents'))}</h2>
            <dl class="govuk-summary-list">
              {l.version.requiredDocuments.map((r) => {
                const mine = docs.filter((x) => x.documentKey === r.key);
                return (
                  <div class="govuk-summary-list__row" id={`doc-${r.key}`}>
                    <dt class="govuk-summary-list__key" safe>
                      {r.name}
                    </dt>
                    <dd class="govuk-summary-list__value">
                      {mine.length ? e(mine.map((x) => x.fileName).join(', ')) : e(tx.t('dossier.documents.none'))}
                    </dd>
                    <dd class="govuk-summary-list__actions">
                      <a class="govuk-link" href={`/dossiers/${l.d.id}#card-${r.key}`}>
                        {e(tx.t('dossier.answers.change'))}
                        <span class="govuk-visually-hidden"> {e(r.name)}</span>
                      </a>
                    </dd>
                  </div>
                );
              })}
            </dl>
            <h2 class="govuk-heading-m">{e(tx.t('dossier.check.declaration'))}</h2>
            <p class="govuk-body">{e(tx.t('dossier.check.declarationText'))}</p>
            <form method="post" action={`/dossiers/${l.d.id}/submit`} novalidate>
              <Csrf token={c.csrf()} />
              <input type="hidden" name="key" value={`page-${randomUUID()}`} />
              <input type="hidden" name="then" value={first ? 'receipt' : 'dossier'} />
              <Button>{e(tx.t(first ? 'dossier.check.submit' : 'dossier.check.submitSupplement'))}</Button>
            </form>
            <p class="govuk-body">
              <a class="govuk-link" href={`/dossiers/${l.d.id}`}>
                {e(tx.t('dossier.back'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
    return errors.length ? new Html(html, 422) : html;
  }

  /** Files the dossier once per key (the key is the form's, made when the check page was shown). */
  private async submit(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    const key = field(c.body, 'key');
    if (!IDEMPOTENCY_KEY.test(key)) throw new ValidationFailed([{ field: 'key', message: 'bad key' }], 'bad key', 400);
    try {
      await this.applications.submit(user, id, key);
    } catch (err) {
      if (err instanceof ValidationFailed && err.errors?.some((x) => x.field !== 'Idempotency-Key')) {
        return this.check(c, this.problem(c.tx, err, 'answers'));
      }
      const errors = this.problem(c.tx, err, 'actions');
      if (!errors) throw err;
      return this.show(c, errors, 409);
    }
    return new Redirect(
      c.body.then === 'receipt' ? `/dossiers/${id}/receipt` : `/dossiers/${id}?notice=dossier-resubmitted`,
    );
  }

  private async receipt(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const { d } = await this.load(c);
    if (!d.code) throw new NotFound('receipt');
    const title = tx.t('dossier.receipt.title');
    return (
      <Layout tx={tx} title={title} path={c.path} signedIn csrf={c.csrf()} nav="dossiers">
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <div class="govuk-panel govuk-panel--confirmation">
              <h1 class="govuk-panel__title">{e(title)}</h1>
              <div class="govuk-panel__body">
                {e(tx.t('dossiers.code'))}
                <br />
                <strong id="receipt-code">{e(d.code)}</strong>
              </div>
            </div>
            <SummaryList
              rows={[
                [tx.t('lookup.procedure'), e(d.procedureName)],
                [tx.t('dossiers.state'), e(stateLabel(tx, d.state, d.stateLabel))],
                [tx.t('dossier.submittedAt'), e(d.submittedAt ? tx.dateTime(d.submittedAt) : '')],
                [
                  tx.t('dossier.receivedAt'),
                  e(d.receivedAt ? tx.dateTime(d.receivedAt) : tx.t('dossier.receipt.notReceived')),
                ],
                [
                  tx.t('dossiers.dueAt'),
                  <span id="receipt-due">
                    {e(d.dueAt ? tx.date(d.dueAt) : tx.t('dossier.receipt.dueLater'))}
                    {d.clockPaused ? ` ${e(tx.t('dossiers.paused'))}` : ''}
                  </span>,
                ],
              ]}
            />
            <p class="govuk-body">{e(tx.t('dossier.receipt.keep'))}</p>
            <div data-portal-print data-label={tx.t('dossier.receipt.print')}></div>
            <p class="govuk-body portal-noprint">
              <a class="govuk-link" href={`/dossiers/${d.id}`}>
                {e(tx.t('dossier.back'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
  }

  // ------------------------------------------------------------------ workflow actions, withdraw

  private async act(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    const action = (c.req.params as { action: string }).action;
    if (!ACTION_KEY.test(action) || action === SUBMIT_ACTION) throw new NotFound('action');
    const comment = field(c.body, 'comment');
    if (comment.length > 4000)
      return this.show(c, [{ field: `comment-${action}`, message: c.tx.t('dossier.error.tooLong') }], 422);
    try {
      await this.applications.act(user, id, action, { comment: comment || undefined });
    } catch (err) {
      const errors = this.problem(c.tx, err, `comment-${action}`);
      if (!errors) throw err;
      return this.show(c, errors, err instanceof ValidationFailed ? 422 : 409);
    }
    return new Redirect(`/dossiers/${id}?notice=dossier-action`);
  }

  private async withdrawForm(c: PageContext, errors: FormErrors = []): Promise<PageResult> {
    const { tx } = c;
    const l = await this.load(c);
    if (!l.d.availableActions.includes('withdraw')) return new Redirect(`/dossiers/${l.d.id}`);
    const title = tx.t('dossier.withdraw.title');
    const html = (
      <Layout tx={tx} title={title} path={c.path} signedIn csrf={c.csrf()} nav="dossiers" hasErrors={errors.length > 0}>
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <span class="govuk-caption-l">
              {e(l.d.procedureName)} – {e(l.d.code ?? tx.t('dossiers.draft'))}
            </span>
            <h1 class="govuk-heading-l">{e(title)}</h1>
            <div class="govuk-warning-text">
              <span class="govuk-warning-text__icon" aria-hidden="true">
                !
              </span>
              <strong class="govuk-warning-text__text">
                <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
                {e(tx.t('dossier.withdraw.warning'))}
              </strong>
            </div>
            <form method="post" action={`/dossiers/${l.d.id}/withdraw`} novalidate>
              <Csrf token={c.csrf()} />
              <div class={`govuk-form-group${errors.length ? ' govuk-form-group--error' : ''}`}>
                <label class="govuk-label" for="comment">
                  {e(tx.t('dossier.withdraw.reason'))}
                </label>
                {errors.length ? (
                  <p id="comment-error" class="govuk-error-message">
                    <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
                    {e(errors[0].message)}
                  </p>
                ) : (
                  ''
                )}
                <textarea
                  class={`govuk-textarea${errors.length ? ' govuk-textarea--error' : ''}`}
                  id="comment"
                  name="comment"
                  rows="3"
                  aria-describedby={errors.length ? 'comment-error' : undefined}
                ></textarea>
              </div>
              <div class="govuk-button-group">
                <Button warning>{e(tx.t('dossier.withdraw.confirm'))}</Button>
                <a class="govuk-link" href={`/dossiers/${l.d.id}`}>
                  {e(tx.t('dossier.withdraw.cancel'))}
                </a>
              </div>
            </form>
          </div>
        </div>
      </Layout>
    );
    return errors.length ? new Html(html, 422) : html;
  }

  private async withdraw(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    const comment = field(c.body, 'comment');
    if (comment.length > 4000)
      return this.withdrawForm(c, [{ field: 'comment', message: c.tx.t('dossier.error.tooLong') }]);
    try {
      await this.applications.act(user, id, 'withdraw', { comment: comment || undefined });
    } catch (err) {
      const errors = this.problem(c.tx, err, 'comment');
      if (!errors) throw err;
      if (err instanceof ValidationFailed || err instanceof WorkflowError) {
        if (!(err instanceof WorkflowError) || err.code === 'missing_requirement') return this.withdrawForm(c, errors);
      }
      return this.show(c, errors, 409);
    }
    return new Redirect(`/dossiers/${id}?notice=dossier-withdrawn`);
  }

  // ------------------------------------------------------------------ payment

  /** Starts the payment as POST /api/v1/applications/:id/payments does, and sends the browser to the gateway. */
  private async pay(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    try {
      const started = await this.payments.start(user, id, 'vnpay', c.req.ip || '127.0.0.1');
      return new Redirect(started.redirectUrl);
    } catch (err) {
      const errors = this.problem(c.tx, err, 'payment');
      if (!errors) throw err;
      return this.show(c, [{ field: 'payment', message: c.tx.t('dossier.pay.refused') }], 409);
    }
  }

  /** The attempt named by `ref`, if it is this dossier's (the dossier itself is already scoped to the citizen). */
  private async attempt(c: PageContext, dossierId: string) {
    const ref = c.query.ref ?? '';
    if (!TXN_REF.test(ref)) throw new NotFound('payment');
    const attempt = await this.payments.attemptByTxnRef(ref);
    if (!attempt || attempt.dossierId !== dossierId) throw new NotFound('payment');
    return attempt;
  }

  /**
   * Where the browser lands after the gateway (the API's return route sends it here). The outcome is what the IPN or
   * the status query recorded, never what the return said; while neither has, the page waits (and polls with JS).
   */
  private async paymentOutcome(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const l = await this.load(c);
    const attempt = await this.attempt(c, l.d.id);
    const base = `/dossiers/${l.d.id}`;
    const paid = PAID.includes(attempt.state);
    const unpaid = UNPAID.includes(attempt.state);
    const payable =
      l.d.payment?.status === 'open' && !!systemActionFor(l.version.workflow, l.d.state, 'payment.succeeded');
    if (payable) {
      const origin = this.payOrigin();
      if (origin) c.allowFormAction(origin);
    }
    const title = tx.t(paid ? 'dossier.payment.paid' : unpaid ? 'dossier.payment.failed' : 'dossier.payment.waiting');
    const ref = encodeURIComponent(c.query.ref!);
    return (
      <Layout tx={tx} title={title} path={c.path} signedIn csrf={c.csrf()} nav="dossiers">
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <span class="govuk-caption-l">
              {e(l.d.procedureName)} – {e(l.d.code ?? '')}
            </span>
            {paid ? (
              <div class="govuk-panel govuk-panel--confirmation" id="payment-outcome" data-outcome="paid">
                <h1 class="govuk-panel__title">{e(title)}</h1>
                <div class="govuk-panel__body">{e(tx.money(attempt.amountVnd))}</div>
              </div>
            ) : (
              <h1 class="govuk-heading-l" id="payment-outcome" data-outcome={unpaid ? 'failed' : 'waiting'}>
                {e(title)}
              </h1>
            )}
            {paid ? <p class="govuk-body">{e(tx.t('dossier.payment.paidNext'))}</p> : ''}
            {unpaid ? (
              <>
                <p class="govuk-body">{e(tx.t('dossier.payment.failedBody'))}</p>
                {payable ? (
                  <form method="post" action={`${base}/pay`} novalidate>
                    <Csrf token={c.csrf()} />
                    <Button>{e(tx.t('dossier.payment.again'))}</Button>
                  </form>
                ) : (
                  ''
                )}
              </>
            ) : (
              ''
            )}
            {!paid && !unpaid ? (
              <div
                data-payment-wait
                data-status-url={`${base}/payment/status?ref=${ref}`}
                data-label={tx.t('dossier.payment.checking')}
              >
                <p class="govuk-body">{e(tx.t('dossier.payment.waitingBody'))}</p>
                <p class="govuk-body">
                  <a class="govuk-link" href={`${base}/payment?ref=${ref}`}>
                    {e(tx.t('dossier.payment.checkAgain'))}
                  </a>
                </p>
              </div>
            ) : (
              ''
            )}
            <p class="govuk-body">
              <a class="govuk-link" href={base}>
                {e(tx.t('dossier.back'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
  }

  /** The payment-wait enhancement's poll: is the attempt settled yet? (The owner's session only.) */
  private async paymentStatus(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    await this.applications.find(user, id);
    const attempt = await this.attempt(c, id);
    const settled = PAID.includes(attempt.state) || UNPAID.includes(attempt.state);
    return new Raw(JSON.stringify({ state: attempt.state, settled }), {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
  }

  /** The receipt of a payment as PDF, as GET /api/v1/applications/:id/payments/:attemptId/receipt. */
  private async paymentReceipt(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    await this.applications.find(user, id);
    const { pdf, number } = await this.payments.receiptPdf(id, this.param(c, 'attemptId'));
    return pdfAnswer(pdf, `bien-lai-${number}.pdf`);
  }

  // ------------------------------------------------------------------ result, rating

  /** The result file, as GET /api/v1/applications/:id/result (the download is recorded). */
  private async result(c: PageContext): Promise<PageResult> {
    const user = this.user(c);
    const id = this.param(c, 'id');
    await this.applications.find(user, id);
    const file = await this.results.download(id, { accountId: user.id, via: 'owner', ip: c.req.ip ?? null });
    return pdfAnswer(file.content, file.fileName);
  }

  private async rate(c: PageContext): Promise<PageResult> {
    const { tx } = c;
    const user = this.user(c);
    const id = this.param(c, 'id');
    const score = Number(field(c.body, 'score'));
    const comment = field(c.body, 'comment');
    if (!Number.isInteger(score) || score < 1 || score > 5)
      return this.show(c, [{ field: 'score', message: tx.t('dossier.rating.choose') }], 422);
    if (comment.length > 2000)
      return this.show(c, [{ field: 'rating-comment', message: tx.t('dossier.error.tooLong') }], 422);
    try {
      await this.applications.rate(user, id, score, comment || undefined);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      const already = err.slug === 'already-rated';
      return this.show(
        c,
        [{ field: 'rating', message: tx.t(already ? 'dossier.rating.already' : 'dossier.rating.notYet') }],
        409,
      );
    }
    return new Redirect(`/dossiers/${id}?notice=dossier-rated#rating`);
  }
}

/** The items of a supplementation request (its round and `data.items`), when it listed them. */
function SupplementItems({ tx, entry }: { tx: Texts; entry: HistoryItem }): JSX.Element {
  const round = entry.data?.round;
  const items =
    entry.action === SUPPLEMENT_REQUEST_ACTION && entry.data?.items !== undefined ? itemsOfEntry(entry) : [];
  if (!items.length) return <></>;
  return (
    <>
      <p class="govuk-body">{e(tx.t('rulesa.supplement.round', { n: typeof round === 'number' ? round : 1 }))}</p>
      <ul class="govuk-list govuk-list--bullet" id="dossier-asked-items">
        {items.map((i) => (
          <li>
            {e(i.name)}
            {i.reason ? `: ${e(i.reason)}` : ''}
          </li>
        ))}
      </ul>
    </>
  );
}
