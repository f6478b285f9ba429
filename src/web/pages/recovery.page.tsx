import { Injectable } from '@nestjs/common';
import { AuthService } from '../../auth/auth.service';
import { ForgotPasswordDto, ResetPasswordDto } from '../../auth/dto';
import { AppError } from '../../common/problem';
import { Button, Csrf, e, ErrorSummary, FormErrors, Input } from '../components';
import { Layout } from '../layout';
import { field, Html, PageContext, PageRoute, Redirect } from '../page';
import { check } from './account.page';

/** A reset token as the emailed link carries it (anything else is not worth a database lookup). */
const TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

/**
 * `/forgot-password` and `/reset-password?token=` (the link the reset email sends): the same AuthService methods
 * as POST /api/v1/auth/password/forgot and /reset, counted against the same rate limit.
 */
@Injectable()
export class RecoveryPages {
  constructor(private readonly auth: AuthService) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/forgot-password', handler: (c) => Promise.resolve(this.forgotPage(c, '', [])) },
      { method: 'POST', url: '/forgot-password', handler: (c) => this.forgot(c), rateLimit: 'password' },
      { method: 'GET', url: '/reset-password', handler: (c) => this.resetPage(c) },
      { method: 'POST', url: '/reset-password', handler: (c) => this.reset(c), rateLimit: 'password' },
    ];
  }

  private forgotPage(c: PageContext, email: string, errors: FormErrors): JSX.Element {
    const { tx } = c;
    const sent = c.query.sent === '1' && !errors.length;
    return (
      <Layout
        tx={tx}
        title={tx.t(sent ? 'forgot.sent.title' : 'forgot.title')}
        path={c.path}
        signedIn={!!c.session}
        csrf={c.csrf()}
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            {sent ? (
              <>
                <h1 class="govuk-heading-l">{e(tx.t('forgot.sent.title'))}</h1>
                <p class="govuk-body" id="forgot-sent">
                  {e(tx.t('forgot.sent.body'))}
                </p>
              </>
            ) : (
              <>
                <ErrorSummary tx={tx} errors={errors} />
                <h1 class="govuk-heading-l">{e(tx.t('forgot.title'))}</h1>
                <p class="govuk-body">{e(tx.t('forgot.lead'))}</p>
                <form method="post" action="/forgot-password" novalidate>
                  <Csrf token={c.csrf()} />
                  <Input
                    tx={tx}
                    name="email"
                    type="email"
                    label={tx.t('forgot.email')}
                    value={email}
                    errors={errors}
                    autocomplete="email"
                    spellcheck={false}
                  />
                  <Button>{e(tx.t('forgot.submit'))}</Button>
                </form>
              </>
            )}
            <p class="govuk-body">
              <a class="govuk-link" href="/login">
                {e(tx.t('forgot.backToLogin'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>
    );
  }

  private async forgot(c: PageContext) {
    const { tx } = c;
    const values = { email: field(c.body, 'email') };
    const { value, errors } = await check(tx, ForgotPasswordDto, values, { email: tx.t('forgot.email') });
    if (errors.length) return new Html(this.forgotPage(c, values.email, errors), 422);
    await this.auth.forgotPassword(value.email);
    // The same answer whether or not an account has the address.
    return new Redirect('/forgot-password?sent=1');
  }

  /** A link that is not valid, used or expired: said plainly, with a way to ask for a new one. */
  private invalidPage(c: PageContext): Html {
    const { tx } = c;
    return new Html(
      <Layout tx={tx} title={tx.t('reset.invalid.title')} path={c.path} signedIn={!!c.session} csrf={c.csrf()}>
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <h1 class="govuk-heading-l">{e(tx.t('reset.invalid.title'))}</h1>
            <p class="govuk-body" id="reset-invalid">
              {e(tx.t('reset.invalid.body'))}
            </p>
            <p class="govuk-body">
              <a class="govuk-link" href="/forgot-password">
                {e(tx.t('reset.invalid.again'))}
              </a>
            </p>
          </div>
        </div>
      </Layout>,
      410,
    );
  }

  private resetForm(c: PageContext, token: string, errors: FormErrors): JSX.Element {
    const { tx } = c;
    return (
      <Layout
        tx={tx}
        title={tx.t('reset.title')}
        path={c.path.split('?')[0]}
        signedIn={!!c.session}
        csrf={c.csrf()}
        hasErrors={errors.length > 0}
      >
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <ErrorSummary tx={tx} errors={errors} />
            <h1 class="govuk-heading-l">{e(tx.t('reset.title'))}</h1>
            <form method="post" action="/reset-password" novalidate>
              <Csrf token={c.csrf()} />
              <input type="hidden" name="token" value={token} />
              <Input
                tx={tx}
                name="password"
                type="password"
                label={tx.t('reset.password')}
                hint={tx.t('register.password.hint')}
                errors={errors}
                autocomplete="new-password"
              />
              <Input
                tx={tx}
                name="confirmPassword"
                type="password"
                label={tx.t('reset.confirm')}
                errors={errors}
                autocomplete="new-password"
              />
              <Button>{e(tx.t('reset.submit'))}</Button>
            </form>
          </div>
        </div>
      </Layout>
    );
  }

  private async resetPage(c: PageContext) {
    const token = c.query.token ?? '';
    if (!TOKEN.test(token) || !(await this.auth.isResetLinkLive(token))) return this.invalidPage(c);
    // The token stays out of the Referer of anything this page loads or links to.
    c.reply.header('referrer-policy', 'no-referrer');
    return this.resetForm(c, token, []);
  }

  private async reset(c: PageContext) {
    const { tx } = c;
    const token = c.body.token ?? '';
    if (!TOKEN.test(token)) return this.invalidPage(c);
    const values = { token, password: c.body.password ?? '' };
    const { value, errors } = await check(tx, ResetPasswordDto, values, { password: tx.t('reset.password') });
    const confirm = c.body.confirmPassword ?? '';
    if (!confirm) {
      errors.push({
        field: 'confirmPassword',
        message: tx.t('validation.required', { field: tx.t('reset.confirm').toLocaleLowerCase(tx.lang) }),
      });
    } else if (!errors.length && confirm !== values.password) {
      errors.push({ field: 'confirmPassword', message: tx.t('reset.mismatch') });
    }
    if (errors.length) return new Html(this.resetForm(c, token, errors), 422);
    try {
      await this.auth.resetPassword(value.token, value.password);
    } catch (err) {
      if (err instanceof AppError && err.slug === 'reset-link-invalid') return this.invalidPage(c);
      throw err;
    }
    return new Redirect('/login?notice=password-reset');
  }
}
