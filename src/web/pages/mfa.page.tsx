import { Injectable } from '@nestjs/common';
import { AuthService } from '../../auth/auth.service';
import { Enrolment, MfaService } from '../../auth/mfa.service';
import { NotFound } from '../../common/problem';
import { clientAddress } from '../../security/rate-limit';
import { Button, Csrf, e, ErrorSummary, FormErrors, Input, Notice, SummaryList } from '../components';
import { Layout } from '../layout';
import { field, Html, localPath, PageContext, PageRoute, Redirect } from '../page';
import { staffUser } from '../staff';
import { MfaPending, Pending } from '../mfa-pending';
import { WebSessions } from '../web-sessions';

/** A page with a status (a form with errors), or the redirect the page asked for. */
const withStatus = (page: JSX.Element | Redirect, status: number) =>
  page instanceof Redirect ? page : new Html(page, status);

/** The secret in groups of four, as authenticator apps show it (easier to type). */
const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

/**
 * The staff second factor on the pages: `/login/mfa` (the code after the password, from a pending sign-in),
 * `/account/mfa` (enrolment: QR code, the key in text, ten recovery codes, confirmation with a first code; for a
 * pending sign-in that must enrol, or a signed-in staff member; once active: its status) and
 * `/account/mfa/recovery-codes` (ten new codes, with a current code). Through MfaService, like the API.
 */
@Injectable()
export class MfaPages {
  constructor(
    private readonly mfa: MfaService,
    private readonly auth: AuthService,
    private readonly pending: MfaPending,
    private readonly sessions: WebSessions,
  ) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/login/mfa', handler: (c) => this.codeForm(c) },
      { method: 'POST', url: '/login/mfa', handler: (c) => this.signIn(c) },
      { method: 'GET', url: '/account/mfa', handler: (c) => this.page(c, []) },
      { method: 'POST', url: '/account/mfa', handler: (c) => this.confirm(c) },
      { method: 'POST', url: '/account/mfa/recovery-codes', handler: (c) => this.regenerate(c), signedIn: true },
    ];
  }

  private layout(c: PageContext, title: string, errors: FormErrors, children: JSX.Element[]): JSX.Element {
    return (
      <Layout
        tx={c.tx}
        title={title}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        nav={c.session ? 'account' : 'login'}
        role={c.session?.role}
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">{children}</div>
        </div>
      </Layout>
    );
  }

  private codeInput(c: PageContext, errors: FormErrors, hint = c.tx.t('mfa.code.hint')): JSX.Element {
    return (
      <Input
        tx={c.tx}
        name="code"
        label={c.tx.t('mfa.code')}
        hint={hint}
        errors={errors}
        autocomplete="one-time-code"
        spellcheck={false}
        width={10}
      />
    );
  }

  // ------------------------------------------------------------------ /login/mfa

  private async codeForm(c: PageContext, errors: FormErrors = []) {
    const pending = await this.pending.resolve(c.req);
    if (!pending || pending.purpose !== 'verify') return new Redirect('/login');
    const { tx } = c;
    return this.layout(c, tx.t('mfa.login.title'), errors, [
      <ErrorSummary tx={tx} errors={errors} />,
      <h1 class="govuk-heading-l">{e(tx.t('mfa.login.title'))}</h1>,
      <p class="govuk-body">{e(tx.t('mfa.login.body'))}</p>,
      <form method="post" action="/login/mfa" novalidate>
        <Csrf token={c.csrf()} />
        {this.codeInput(c, errors, tx.t('mfa.login.hint'))}
        <Button>{e(tx.t('mfa.login.submit'))}</Button>
      </form>,
      <p class="govuk-body">
        <a class="govuk-link" href="/login">
          {e(tx.t('mfa.cancel'))}
        </a>
      </p>,
    ]);
  }

  private async signIn(c: PageContext) {
    const pending = await this.pending.resolve(c.req);
    if (!pending || pending.purpose !== 'verify') return new Redirect('/login');
    const code = field(c.body, 'code');
    if (!code)
      return withStatus(await this.codeForm(c, [{ field: 'code', message: c.tx.t('mfa.code.required') }]), 422);
    if (!(await this.mfa.completeSignIn(pending, clientAddress(c.req), code))) {
      return withStatus(await this.codeForm(c, [{ field: 'code', message: c.tx.t('mfa.code.wrong') }]), 401);
    }
    return this.startSession(c, pending);
  }

  /** The second factor passed: the pending record is spent and the page session starts. */
  private async startSession(c: PageContext, pending: Pending) {
    if (!(await this.pending.end(c.reply, pending))) return new Redirect('/login');
    await this.sessions.start(c.reply, c.session, pending.account_id, pending.token_version);
    return new Redirect(localPath(pending.next_path, '/staff'));
  }

  // ------------------------------------------------------------------ /account/mfa

  /** Who this enrolment page is for: a signed-in staff member, or a pending sign-in that must enrol first. */
  private async subject(c: PageContext): Promise<{ accountId: string; pending?: Pending } | Redirect> {
    if (c.session) return { accountId: staffUser(c, ['clerk', 'supervisor', 'admin']).id };
    const pending = await this.pending.resolve(c.req);
    if (pending?.purpose === 'enrol') return { accountId: pending.account_id, pending };
    return new Redirect(`/login?next=${encodeURIComponent('/account/mfa')}`);
  }

  private async page(c: PageContext, errors: FormErrors) {
    const who = await this.subject(c);
    if (who instanceof Redirect) return who;
    const status = await this.mfa.status(who.accountId);
    if (status.active) return this.statusPage(c, status.recoveryCodesLeft, errors);
    const email = who.pending?.email ?? (await this.auth.profile(who.accountId))?.email;
    if (!email) throw new NotFound('account');
    const enrolment = await this.mfa.beginEnrolment(who.accountId, email);
    if (!enrolment) return new Redirect('/account/mfa');
    return this.enrolPage(c, enrolment, errors, !!who.pending);
  }

  private enrolPage(c: PageContext, en: Enrolment, errors: FormErrors, pending: boolean): JSX.Element {
    const { tx } = c;
    return this.layout(c, tx.t('mfa.enrol.title'), errors, [
      <ErrorSummary tx={tx} errors={errors} />,
      <h1 class="govuk-heading-l">{e(tx.t('mfa.enrol.title'))}</h1>,
      <p class="govuk-body">{e(tx.t(pending ? 'mfa.enrol.required' : 'mfa.enrol.intro'))}</p>,
      <h2 class="govuk-heading-m">{e(tx.t('mfa.enrol.scan'))}</h2>,
      <p class="govuk-body">{e(tx.t('mfa.enrol.scan.body'))}</p>,
      <p class="govuk-body">
        <img class="portal-mfa-qr" id="mfa-qr" src={en.qr} width="232" height="232" alt={tx.t('mfa.enrol.qrAlt')} />
      </p>,
      <p class="govuk-body">{e(tx.t('mfa.enrol.key'))}</p>,
      <p class="govuk-body">
        <code class="portal-mfa-secret" id="mfa-secret">
          {e(grouped(en.secret))}
        </code>
      </p>,
      <h2 class="govuk-heading-m">{e(tx.t('mfa.recovery.title'))}</h2>,
      this.recoveryCodes(c, en.recoveryCodes),
      <h2 class="govuk-heading-m">{e(tx.t('mfa.enrol.confirm'))}</h2>,
      <form method="post" action="/account/mfa" novalidate>
        <Csrf token={c.csrf()} />
        {this.codeInput(c, errors)}
        <Button>{e(tx.t('mfa.enrol.submit'))}</Button>
      </form>,
    ]);
  }

  private recoveryCodes(c: PageContext, codes: string[]): JSX.Element {
    const { tx } = c;
    return (
      <>
        <div class="govuk-warning-text">
          <span class="govuk-warning-text__icon" aria-hidden="true">
            !
          </span>
          <strong class="govuk-warning-text__text">
            <span class="govuk-visually-hidden">{e(tx.t('notice.important'))}</span>
            {e(tx.t('mfa.recovery.warning'))}
          </strong>
        </div>
        <ul class="govuk-list portal-mfa-codes" id="recovery-codes">
          {codes.map((code) => (
            <li>
              <code>{e(code)}</code>
            </li>
          ))}
        </ul>
      </>
    );
  }

  private statusPage(c: PageContext, codesLeft: number, errors: FormErrors, newCodes?: string[]): JSX.Element {
    const { tx } = c;
    return this.layout(c, tx.t('mfa.status.title'), errors, [
      c.query.notice === 'mfa-on' ? (
        <Notice tx={tx} success>
          {e(tx.t('mfa.status.on'))}
        </Notice>
      ) : (
        ''
      ),
      <ErrorSummary tx={tx} errors={errors} />,
      <h1 class="govuk-heading-l">{e(tx.t('mfa.status.title'))}</h1>,
      <SummaryList
        rows={[
          [
            tx.t('mfa.status.state'),
            <strong class="govuk-tag govuk-tag--green">{e(tx.t('mfa.status.active'))}</strong>,
          ],
          [tx.t('mfa.status.codesLeft'), e(String(codesLeft))],
        ]}
      />,
      newCodes ? (
        <>
          <h2 class="govuk-heading-m">{e(tx.t('mfa.recovery.new'))}</h2>
          {this.recoveryCodes(c, newCodes)}
        </>
      ) : (
        ''
      ),
      <h2 class="govuk-heading-m">{e(tx.t('mfa.recovery.regenerate'))}</h2>,
      <p class="govuk-body">{e(tx.t('mfa.recovery.regenerate.body'))}</p>,
      <form method="post" action="/account/mfa/recovery-codes" novalidate>
        <Csrf token={c.csrf()} />
        {this.codeInput(c, errors)}
        <Button secondary>{e(tx.t('mfa.recovery.regenerate.submit'))}</Button>
      </form>,
    ]);
  }

  private async confirm(c: PageContext) {
    const who = await this.subject(c);
    if (who instanceof Redirect) return who;
    const code = field(c.body, 'code');
    const failed = async (message: string, status: number) =>
      withStatus(await this.page(c, [{ field: 'code', message }]), status);
    if (!/^\d{6}$/.test(code.replace(/\s/g, ''))) return failed(c.tx.t('mfa.code.format'), 422);
    if (who.pending) {
      // Counted by the sign-in throttle, like the password before it.
      if (!(await this.mfa.completeSignIn(who.pending, clientAddress(c.req), code)))
        return failed(c.tx.t('mfa.code.wrong'), 401);
      return this.startSession(c, who.pending);
    }
    if (!(await this.mfa.confirm(who.accountId, code))) return failed(c.tx.t('mfa.code.wrong'), 422);
    return new Redirect('/account/mfa?notice=mfa-on');
  }

  private async regenerate(c: PageContext) {
    const me = staffUser(c, ['clerk', 'supervisor', 'admin']);
    const codes = await this.mfa.regenerateRecoveryCodes(me.id, field(c.body, 'code'));
    const { recoveryCodesLeft } = await this.mfa.status(me.id);
    if (!codes) {
      return new Html(
        this.statusPage(c, recoveryCodesLeft, [{ field: 'code', message: c.tx.t('mfa.code.wrong') }]),
        422,
      );
    }
    // Shown in this answer only (never stored in clear, never shown again).
    return this.statusPage(c, recoveryCodesLeft, [], codes);
  }
}
