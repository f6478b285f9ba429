import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AuthService } from '../../auth/auth.service';
import { ChangePasswordDto, LoginDto, RegisterDto } from '../../auth/dto';
import { Conflict, NotFound, Unauthorized, ValidationFailed } from '../../common/problem';
import { clientAddress } from '../../security/rate-limit';
import { Button, Csrf, e, ErrorSummary, FormErrors, Input, Notice, Radios, SummaryList } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { field, Html, localPath, PageContext, PageRoute, Redirect } from '../page';
import { LANG_COOKIE } from '../web.router';
import { WebSessions } from '../web-sessions';
import { MfaPending } from '../mfa-pending';
import { EidService } from '../../auth/eid/eid.service';
import { EidButton } from './eid.page';

/** The message of a field that failed the API's own DTO, in the page's language. */
function fieldMessage(tx: Texts, name: string, label: string, value: string): string {
  if (!value)
    return tx.t('validation.required', { field: label.charAt(0).toLocaleLowerCase(tx.lang) + label.slice(1) });
  const keys: Record<string, MessageKey> = {
    email: 'validation.email',
    phone: 'validation.phone',
    idNumber: 'validation.idNumber',
    password: 'validation.password',
    newPassword: 'validation.password',
  };
  return keys[name] ? tx.t(keys[name]) : tx.t('validation.tooLong', { field: label });
}

/** Validates the form with the API's DTO; the errors in the form's field order, with the page's messages. */
export async function check<T extends object>(
  tx: Texts,
  dto: new () => T,
  values: Record<string, string>,
  labels: Record<string, string>,
): Promise<{ value: T; errors: FormErrors }> {
  const value = plainToInstance(dto, values);
  const failed = new Set((await validate(value, { whitelist: true })).map((x) => x.property));
  const errors = Object.keys(labels)
    .filter((name) => failed.has(name))
    .map((name) => ({ field: name, message: fieldMessage(tx, name, labels[name], values[name] ?? '') }));
  return { value, errors };
}

/** A link to `path` that brings the citizen back to `next` afterwards (e.g. the form they started). */
const withNext = (path: string, next: string) => (next ? `${path}?next=${encodeURIComponent(next)}` : path);

/** `/register`, `/login`, `/logout`, `/account` (language, password, sign out everywhere). */
@Injectable()
export class AccountPages {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: WebSessions,
    private readonly mfaPending: MfaPending,
    private readonly eid: EidService,
  ) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/register', handler: (c) => Promise.resolve(this.registerForm(c, {}, [])) },
      { method: 'POST', url: '/register', handler: (c) => this.register(c), rateLimit: 'register' },
      { method: 'GET', url: '/login', handler: (c) => Promise.resolve(this.loginForm(c, '', [])) },
      { method: 'POST', url: '/login', handler: (c) => this.login(c), rateLimit: 'login' },
      { method: 'POST', url: '/logout', handler: (c) => this.logout(c), signedIn: true },
      { method: 'GET', url: '/account', handler: (c) => this.account(c, []), signedIn: true },
      { method: 'POST', url: '/account/language', handler: (c) => this.language(c), signedIn: true },
      { method: 'POST', url: '/account/sms', handler: (c) => this.sms(c), signedIn: true },
      { method: 'POST', url: '/account/password', handler: (c) => this.password(c), signedIn: true },
      { method: 'POST', url: '/account/sign-out-everywhere', handler: (c) => this.everywhere(c), signedIn: true },
    ];
  }

  // ------------------------------------------------------------------ register

  private registerLabels(tx: Texts) {
    return {
      fullName: tx.t('register.fullName'),
      email: tx.t('register.email'),
      phone: tx.t('register.phone'),
      idNumber: tx.t('register.idNumber'),
      password: tx.t('register.password'),
    };
  }

  private registerForm(c: PageContext, values: Record<string, string>, errors: FormErrors): JSX.Element {
    const { tx } = c;
    const labels = this.registerLabels(tx);
    const next = localPath(c.query.next ?? c.body.next, '');
    return (
      <Layout
        tx={tx}
        title={tx.t('register.title')}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        nav="register"
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('register.title'))}</h1>
            {this.eid.enabled ? <EidButton tx={tx} next={next} /> : ''}
            <form method="post" action="/register" novalidate>
              <Csrf token={c.csrf()} />
              {next ? <input type="hidden" name="next" value={next} /> : ''}
              <Input
                tx={tx}
                name="fullName"
                label={labels.fullName}
                value={values.fullName}
                errors={errors}
                autocomplete="name"
                spellcheck={false}
              />
              <Input
                tx={tx}
                name="email"
                type="email"
                label={labels.email}
                value={values.email}
                errors={errors}
                autocomplete="email"
                spellcheck={false}
              />
              <Input
                tx={tx}
                name="phone"
                type="tel"
                label={labels.phone}
                hint={tx.t('register.phone.hint')}
                value={values.phone}
                errors={errors}
                autocomplete="tel"
                width={20}
              />
              <Input
                tx={tx}
                name="idNumber"
                label={labels.idNumber}
                hint={tx.t('register.idNumber.hint')}
                value={values.idNumber}
                errors={errors}
                inputmode="numeric"
                width={20}
                spellcheck={false}
              />
              <Input
                tx={tx}
                name="password"
                type="password"
                label={labels.password}
                hint={tx.t('register.password.hint')}
                errors={errors}
                autocomplete="new-password"
              />
              <Radios
                tx={tx}
                name="locale"
                legend={tx.t('register.locale')}
                value={values.locale ?? tx.lang}
                inline
                choices={[
                  { value: 'vi', label: tx.t('lang.vi') },
                  { value: 'en', label: tx.t('lang.en') },
                ]}
              />
              <Button>{e(tx.t('register.submit'))}</Button>
            </form>
            <p class="govuk-body">
              <a class="govuk-link" href={withNext('/login', next)}>
                {e(tx.t('register.haveAccount'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
  }

  private async register(c: PageContext) {
    const { tx } = c;
    const values = {
      fullName: field(c.body, 'fullName'),
      email: field(c.body, 'email'),
      phone: field(c.body, 'phone'),
      idNumber: field(c.body, 'idNumber').replace(/\s+/g, ''),
      password: c.body.password ?? '',
      locale: c.body.locale === 'en' ? 'en' : 'vi',
    };
    const { value, errors } = await check(tx, RegisterDto, values, this.registerLabels(tx));
    if (errors.length) return new Html(this.registerForm(c, values, errors), 422);
    try {
      const account = await this.auth.register(value);
      const profile = await this.auth.profile(account.id);
      if (!profile) throw new NotFound('account');
      await this.sessions.start(c.reply, c.session, account.id, profile.tokenVersion);
      const next = localPath(c.body.next, '');
      return new Redirect(next || '/account?notice=registered');
    } catch (err) {
      if (err instanceof Conflict) {
        return new Html(this.registerForm(c, values, [{ field: 'email', message: tx.t('register.exists') }]), 409);
      }
      throw err;
    }
  }

  // ------------------------------------------------------------------ sign in / out

  private loginForm(c: PageContext, email: string, errors: FormErrors): JSX.Element {
    const { tx } = c;
    const next = localPath(c.query.next ?? c.body.next, '');
    return (
      <Layout
        tx={tx}
        title={tx.t('login.title')}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        nav="login"
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            {c.notice ? (
              <Notice tx={tx} success>
                {e(tx.t(c.notice))}
              </Notice>
            ) : (
              ''
            )}
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('login.title'))}</h1>
            {this.eid.enabled ? <EidButton tx={tx} next={next} /> : ''}
            <form method="post" action="/login" novalidate>
              <Csrf token={c.csrf()} />
              {next ? <input type="hidden" name="next" value={next} /> : ''}
              <Input
                tx={tx}
                name="email"
                label={tx.t('login.email')}
                value={email}
                errors={errors}
                autocomplete="username"
                spellcheck={false}
              />
              <Input
                tx={tx}
                name="password"
                type="password"
                label={tx.t('login.password')}
                errors={errors}
                autocomplete="current-password"
              />
              <Button>{e(tx.t('login.submit'))}</Button>
            </form>
            <p class="govuk-body">
              <a class="govuk-link" href="/forgot-password">
                {e(tx.t('login.forgot'))}
              </a>
            </p>
            <p class="govuk-body">
              <a class="govuk-link" href={withNext('/register', next)}>
                {e(tx.t('login.noAccount'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
  }

  private async login(c: PageContext) {
    const { tx } = c;
    const values = { email: field(c.body, 'email'), password: c.body.password ?? '' };
    const { value, errors } = await check(tx, LoginDto, values, {
      email: tx.t('login.email'),
      password: tx.t('login.password'),
    });
    if (errors.length) return new Html(this.loginForm(c, values.email, errors), 422);
    let home = '/account';
    try {
      const account = await this.auth.verifyCredentials(value, clientAddress(c.req));
      if (account.mfa !== 'none') return await this.secondFactor(c, account);
      await this.sessions.start(c.reply, c.session, account.id, account.tokenVersion);
      // Staff start at their console.
      if (account.role !== 'citizen') home = '/staff';
    } catch (err) {
      if (err instanceof Unauthorized) {
        return new Html(this.loginForm(c, values.email, [{ field: 'email', message: tx.t('login.failed') }]), 401);
      }
      throw err;
    }
    return new Redirect(localPath(c.body.next, home));
  }

  /**
   * A staff member whose sign-in needs a second factor (issue 12): no page session yet, only a short-lived pending
   * record (HttpOnly cookie) that lets /login/mfa ask for the code, or /account/mfa enrol first.
   */
  private async secondFactor(
    c: PageContext,
    account: { id: string; tokenVersion: number; mfa: string; identifier: string },
  ) {
    await this.sessions.end(c.reply, c.session);
    const purpose = account.mfa === 'verify' ? 'verify' : 'enrol';
    const { id: accountId, tokenVersion, identifier } = account;
    await this.mfaPending.start(c.reply, {
      accountId,
      tokenVersion,
      identifier,
      purpose,
      next: localPath(c.body.next, ''),
    });
    return new Redirect(purpose === 'verify' ? '/login/mfa' : '/account/mfa');
  }

  private async logout(c: PageContext) {
    // A session begun with eID also ends at the provider (RP-initiated logout), which sends the browser back.
    const providerLogout = c.session ? await this.eid.logoutUrl(await this.sessions.idToken(c.session)) : undefined;
    await this.sessions.end(c.reply, c.session);
    return new Redirect(providerLogout ?? '/login?notice=signed-out');
  }

  // ------------------------------------------------------------------ account

  private async account(c: PageContext, errors: FormErrors): Promise<JSX.Element> {
    const { tx } = c;
    const profile = await this.auth.profile(c.session!.accountId);
    if (!profile) throw new NotFound('account');
    return (
      <Layout
        tx={tx}
        title={tx.t('account.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="account"
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            {c.notice ? (
              <Notice tx={tx} success>
                {e(tx.t(c.notice))}
              </Notice>
            ) : (
              ''
            )}
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('account.title'))}</h1>
            <SummaryList
              rows={[
                [tx.t('account.fullName'), e(profile.fullName)],
                [tx.t('account.email'), e(profile.email ?? '')],
                [tx.t('account.phone'), e(profile.phone ?? '')],
                [
                  tx.t('account.idNumber'),
                  <>
                    {e(profile.idNumber ?? '')}{' '}
                    <strong class={`govuk-tag ${profile.idNumberVerified ? 'govuk-tag--green' : 'govuk-tag--yellow'}`}>
                      {e(tx.t(profile.idNumberVerified ? 'account.verified' : 'account.unverified'))}
                    </strong>
                  </>,
                ],
                [tx.t('account.language'), e(tx.t(`lang.${profile.locale}`))],
                [tx.t('account.sms'), e(tx.t(profile.notifySms ? 'account.sms.on' : 'account.sms.off'))],
              ]}
            />
            <form method="post" action="/account/language">
              <Csrf token={c.csrf()} />
              <Radios
                tx={tx}
                name="locale"
                legend={tx.t('account.language')}
                value={profile.locale}
                inline
                choices={[
                  { value: 'vi', label: tx.t('lang.vi') },
                  { value: 'en', label: tx.t('lang.en') },
                ]}
              />
              <Button secondary>{e(tx.t('account.language.save'))}</Button>
            </form>
            <form method="post" action="/account/sms">
              <Csrf token={c.csrf()} />
              <Radios
                tx={tx}
                name="notifySms"
                legend={tx.t('account.sms')}
                hint={tx.t('account.sms.hint')}
                value={profile.notifySms ? 'yes' : 'no'}
                inline
                choices={[
                  { value: 'yes', label: tx.t('account.sms.on') },
                  { value: 'no', label: tx.t('account.sms.off') },
                ]}
              />
              <Button secondary>{e(tx.t('account.sms.save'))}</Button>
            </form>
            <h2 class="govuk-heading-m">{e(tx.t('account.password.title'))}</h2>
            <form method="post" action="/account/password" novalidate>
              <Csrf token={c.csrf()} />
              <Input
                tx={tx}
                name="currentPassword"
                type="password"
                label={tx.t('account.password.current')}
                errors={errors}
                autocomplete="current-password"
              />
              <Input
                tx={tx}
                name="newPassword"
                type="password"
                label={tx.t('account.password.new')}
                hint={tx.t('register.password.hint')}
                errors={errors}
                autocomplete="new-password"
              />
              <Button secondary>{e(tx.t('account.password.submit'))}</Button>
            </form>
            <h2 class="govuk-heading-m">{e(tx.t('account.everywhere.title'))}</h2>
            <p class="govuk-body">{e(tx.t('account.everywhere.body'))}</p>
            <form method="post" action="/account/sign-out-everywhere">
              <Csrf token={c.csrf()} />
              <Button warning>{e(tx.t('account.everywhere.submit'))}</Button>
            </form>
          </div>
        </div>
      </Layout>
    );
  }

  private async language(c: PageContext) {
    const locale = c.body.locale === 'en' ? 'en' : 'vi';
    await this.auth.setLocale(c.session!.accountId, locale);
    c.reply.setCookie(LANG_COOKIE, locale, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86400 });
    return new Redirect('/account?notice=language-saved');
  }

  private async sms(c: PageContext) {
    await this.auth.setNotifySms(c.session!.accountId, c.body.notifySms !== 'no');
    return new Redirect('/account?notice=sms-saved');
  }

  private async password(c: PageContext) {
    const { tx } = c;
    const s = c.session!;
    const values = { currentPassword: c.body.currentPassword ?? '', newPassword: c.body.newPassword ?? '' };
    const { value, errors } = await check(tx, ChangePasswordDto, values, {
      currentPassword: tx.t('account.password.current'),
      newPassword: tx.t('account.password.new'),
    });
    if (errors.length) return new Html(await this.account(c, errors), 422);
    try {
      const user = { id: s.accountId, role: s.role, agencyId: s.agencyId };
      const tokens = await this.auth.changePassword(user, value, clientAddress(c.req));
      // The page session needs no API tokens: the refresh token issued with the change is revoked at once.
      await this.auth.logout(tokens.refreshToken);
    } catch (err) {
      if (err instanceof ValidationFailed) {
        return new Html(
          await this.account(c, [{ field: 'currentPassword', message: tx.t('account.password.wrong') }]),
          422,
        );
      }
      throw err;
    }
    // Every session ended with the change (token_version): this one continues under a new id.
    const profile = await this.auth.profile(s.accountId);
    if (!profile) throw new NotFound('account');
    await this.sessions.start(c.reply, s, s.accountId, profile.tokenVersion);
    return new Redirect('/account?notice=password-changed');
  }

  private async everywhere(c: PageContext) {
    const s = c.session!;
    await this.auth.logoutAll({ id: s.accountId, role: s.role, agencyId: s.agencyId });
    await this.sessions.end(c.reply, s);
    return new Redirect('/login?notice=signed-out');
  }
}
