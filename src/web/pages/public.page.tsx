import { Injectable } from '@nestjs/common';
import '@fastify/multipart';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { createHash } from 'node:crypto';
import { ApplicationsService } from '../../applications/applications.service';
import { LookupQueryDto } from '../../applications/dto';
import { NotFound } from '../../common/problem';
import { ResultsService } from '../../delivery/results.service';
import { Button, Csrf, e, ErrorSummary, FormErrors, Input, SummaryList } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { CsrfFailure, field, Html, PageContext, PageRoute, Redirect } from '../page';
import { WebSessions } from '../web-sessions';

const VERIFY_CODE = /^[A-Za-z0-9]{6,20}$/;

interface LookupAnswer {
  code: string;
  state: string;
  dueAt: Date | null;
  procedureName: string;
  apologyDueAt: Date | null;
}

interface VerifyAnswer {
  valid: boolean;
  sha256: string;
  issuedAt: Date;
  agencyName: string;
  procedureName: string;
  signer: { organization: string; name: string; signedAt: Date | null } | null;
}

/** A state's label: the catalogue's `state.<key>`, else the workflow's own label (Vietnamese), else a generic one. */
export function stateLabel(tx: Texts, state: string, workflowLabel?: string | null): string {
  const key = `state.${state}` as MessageKey;
  return tx.t(key) ?? workflowLabel ?? tx.t('state.other');
}

/** The public pages: `/lookup` (status by code + ID number) and `/verify/:code` (is this result genuine?). */
@Injectable()
export class PublicPages {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly results: ResultsService,
    private readonly sessions: WebSessions,
  ) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/lookup', handler: (c) => Promise.resolve(this.lookupPage(c, {}, [])) },
      { method: 'POST', url: '/lookup', handler: (c) => this.lookup(c), rateLimit: 'lookup' },
      { method: 'GET', url: '/verify', handler: (c) => Promise.resolve(this.verifyStart(c)) },
      { method: 'GET', url: '/verify/:code', handler: (c) => this.verify(c) },
      {
        method: 'POST',
        url: '/verify/:code',
        handler: (c) => this.verifyFile(c),
        rateLimit: 'verify',
        multipart: true,
      },
    ];
  }

  // ------------------------------------------------------------------ lookup

  private lookupPage(
    c: PageContext,
    values: Record<string, string>,
    errors: FormErrors,
    answer?: LookupAnswer,
  ): JSX.Element {
    const { tx } = c;
    return (
      <Layout
        tx={tx}
        title={tx.t('lookup.title')}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        nav="lookup"
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('lookup.title'))}</h1>
            {answer ? (
              <>
                <h2 class="govuk-heading-m" id="lookup-result">
                  {e(tx.t('lookup.result'))}
                </h2>
                <SummaryList
                  rows={[
                    [tx.t('lookup.code'), e(answer.code)],
                    [tx.t('lookup.procedure'), e(answer.procedureName)],
                    [tx.t('lookup.state'), <strong class="govuk-tag">{e(stateLabel(tx, answer.state))}</strong>],
                    [tx.t('lookup.dueAt'), e(answer.dueAt ? tx.date(answer.dueAt) : tx.t('lookup.dueAt.none'))],
                    ...(answer.apologyDueAt && answer.dueAt
                      ? [
                          [
                            tx.t('rulesa.lookup.apologyDueAt'),
                            <>
                              {e(tx.date(answer.apologyDueAt))}{' '}
                              <span class="govuk-hint govuk-!-display-inline">
                                ({e(tx.t('rulesa.lookup.apologyDueAt.hint', { date: tx.date(answer.dueAt) }))})
                              </span>
                            </>,
                          ] as [string, JSX.Element],
                        ]
                      : []),
                  ]}
                />
              </>
            ) : (
              ''
            )}
            <p class="govuk-body">{e(tx.t('lookup.lead'))}</p>
            <form method="post" action="/lookup" novalidate>
              <Csrf token={c.csrf()} />
              <Input
                tx={tx}
                name="code"
                label={tx.t('lookup.code')}
                hint={tx.t('lookup.code.hint')}
                value={values.code}
                errors={errors}
                spellcheck={false}
                width={20}
              />
              <Input
                tx={tx}
                name="idNumber"
                label={tx.t('lookup.idNumber')}
                value={values.idNumber}
                errors={errors}
                inputmode="numeric"
                spellcheck={false}
                width={20}
                autocomplete="off"
              />
              <Button>{e(tx.t('lookup.submit'))}</Button>
            </form>
          </div>
        </div>
      </Layout>
    );
  }

  private async lookup(c: PageContext) {
    const { tx } = c;
    const values = { code: field(c.body, 'code'), idNumber: field(c.body, 'idNumber').replace(/\s+/g, '') };
    const failed = new Set((await validate(plainToInstance(LookupQueryDto, values))).map((x) => x.property));
    const errors: FormErrors = [];
    if (failed.has('code')) {
      errors.push({
        field: 'code',
        message: values.code ? tx.t('validation.code') : tx.t('validation.required', { field: tx.t('lookup.code') }),
      });
    }
    if (failed.has('idNumber')) errors.push({ field: 'idNumber', message: tx.t('validation.idNumber') });
    if (errors.length) return new Html(this.lookupPage(c, values, errors), 422);
    try {
      const answer = await this.applications.lookup(values.code, values.idNumber);
      return this.lookupPage(c, values, [], answer);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      return new Html(this.lookupPage(c, values, [{ field: 'code', message: tx.t('lookup.notFound') }]), 404);
    }
  }

  // ------------------------------------------------------------------ verify

  private verifyStart(c: PageContext): JSX.Element | Redirect {
    const code = field(c.query, 'code');
    if (VERIFY_CODE.test(code)) return new Redirect(`/verify/${encodeURIComponent(code.toUpperCase())}`);
    const { tx } = c;
    const errors: FormErrors = code ? [{ field: 'code', message: tx.t('validation.verifyCode') }] : [];
    return (
      <Layout
        tx={tx}
        title={tx.t('verify.title')}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('verify.title'))}</h1>
            <p class="govuk-body">{e(tx.t('verify.lead'))}</p>
            <form method="get" action="/verify" novalidate>
              <Input
                tx={tx}
                name="code"
                label={tx.t('verify.code')}
                value={code}
                errors={errors}
                spellcheck={false}
                width={20}
              />
              <Button>{e(tx.t('verify.check'))}</Button>
            </form>
          </div>
        </div>
      </Layout>
    );
  }

  private async answer(code: string, sha256?: string): Promise<VerifyAnswer | null> {
    if (!VERIFY_CODE.test(code)) return null;
    try {
      return await this.results.verify(code, sha256);
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  private async verify(c: PageContext) {
    const code = (c.req.params as { code: string }).code;
    const answer = await this.answer(code);
    return new Html(this.verifyPage(c, code, answer, undefined, []), answer ? 200 : 404);
  }

  private verifyPage(
    c: PageContext,
    code: string,
    answer: VerifyAnswer | null,
    compared: boolean | undefined,
    errors: FormErrors,
  ): JSX.Element {
    const { tx } = c;
    return (
      <Layout
        tx={tx}
        title={tx.t('verify.title')}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <span class="govuk-caption-l">
              {e(tx.t('verify.code'))}: {e(code.toUpperCase())}
            </span>
            <h1 class="govuk-heading-l">{e(tx.t('verify.title'))}</h1>
            {!answer ? (
              <div class="govuk-warning-text" id="verify-outcome">
                <span class="govuk-warning-text__icon" aria-hidden="true">
                  !
                </span>
                <strong class="govuk-warning-text__text">{e(tx.t('verify.unknown'))}</strong>
              </div>
            ) : (
              <>
                <div class="govuk-panel govuk-panel--confirmation" id="verify-outcome">
                  <h2 class="govuk-panel__title govuk-!-font-size-27">{e(tx.t('verify.genuine'))}</h2>
                </div>
                {compared === undefined ? (
                  ''
                ) : (
                  <div class={compared ? 'govuk-inset-text' : 'govuk-warning-text'} id="verify-compare" role="status">
                    {compared ? (
                      e(tx.t('verify.match'))
                    ) : (
                      <>
                        <span class="govuk-warning-text__icon" aria-hidden="true">
                          !
                        </span>
                        <strong class="govuk-warning-text__text">{e(tx.t('verify.mismatch'))}</strong>
                      </>
                    )}
                  </div>
                )}
                <SummaryList
                  rows={[
                    [tx.t('verify.issuer'), e(answer.agencyName)],
                    [tx.t('verify.procedure'), e(answer.procedureName)],
                    [tx.t('verify.issuedAt'), e(tx.date(answer.issuedAt))],
                    ...(answer.signer
                      ? ([
                          [
                            tx.t('sign.verify.signer'),
                            <span id="verify-signer">
                              {e(
                                answer.signer.name && answer.signer.name !== answer.signer.organization
                                  ? `${answer.signer.organization} (${answer.signer.name})`
                                  : answer.signer.organization || answer.signer.name,
                              )}
                            </span>,
                          ],
                          ...(answer.signer.signedAt
                            ? [[tx.t('sign.verify.signedAt'), e(tx.dateTime(answer.signer.signedAt))]]
                            : []),
                        ] as [string, string][])
                      : []),
                    [tx.t('verify.sha256'), <code>{e(answer.sha256)}</code>],
                  ]}
                />
                <h2 class="govuk-heading-m">{e(tx.t('verify.file.title'))}</h2>
                <form
                  method="post"
                  action={`/verify/${encodeURIComponent(code)}`}
                  enctype="multipart/form-data"
                  novalidate
                >
                  <Csrf token={c.csrf()} />
                  <div class={`govuk-form-group${errors.length ? ' govuk-form-group--error' : ''}`}>
                    <label class="govuk-label" for="file">
                      {e(tx.t('verify.file'))}
                    </label>
                    <div id="file-hint" class="govuk-hint">
                      {e(tx.t('verify.file.hint'))}
                    </div>
                    {errors.length ? (
                      <p id="file-error" class="govuk-error-message">
                        <span class="govuk-visually-hidden">{e(tx.t('errors.prefix'))} </span>
                        {e(errors[0].message)}
                      </p>
                    ) : (
                      ''
                    )}
                    <input
                      class={`govuk-file-upload${errors.length ? ' govuk-file-upload--error' : ''}`}
                      id="file"
                      name="file"
                      type="file"
                      accept="application/pdf,.pdf"
                      aria-describedby={errors.length ? 'file-hint file-error' : 'file-hint'}
                    />
                  </div>
                  <Button secondary>{e(tx.t('verify.file.submit'))}</Button>
                </form>
              </>
            )}
          </div>
        </div>
      </Layout>
    );
  }

  /** The upload is hashed as it streams in (nothing is stored); the CSRF field comes before the file. */
  private async verifyFile(c: PageContext) {
    const code = (c.req.params as { code: string }).code;
    const answer = await this.answer(code);
    if (!answer) throw new NotFound('document');
    if (!c.req.isMultipart()) return new Html(this.verifyPage(c, code, answer, undefined, [this.fileError(c)]), 422);
    let csrf: unknown;
    let sha256: string | undefined;
    let forged = false;
    for await (const part of c.req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname === '_csrf') csrf = part.value;
        continue;
      }
      if (!this.sessions.checkCsrf(c.req, c.session, csrf) || part.fieldname !== 'file' || sha256) {
        forged ||= !this.sessions.checkCsrf(c.req, c.session, csrf);
        part.file.resume();
        continue;
      }
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of part.file) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      if (size > 0) sha256 = hash.digest('hex');
    }
    if (forged || !this.sessions.checkCsrf(c.req, c.session, csrf)) throw new CsrfFailure();
    if (!sha256) return new Html(this.verifyPage(c, code, answer, undefined, [this.fileError(c)]), 422);
    const compared = await this.answer(code, sha256);
    return this.verifyPage(c, code, compared ?? answer, compared?.valid ?? false, []);
  }

  private fileError(c: PageContext) {
    return { field: 'file', message: c.tx.t('validation.file') };
  }
}
