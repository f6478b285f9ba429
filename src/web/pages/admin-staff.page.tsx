import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { AgenciesService } from '../../agencies/agencies.service';
import type { StaffListEntry } from '../../auth/accounts.repository';
import type { AuthUser } from '../../auth/auth-user';
import { Conflict, NotFound, ValidationFailed } from '../../common/problem';
import { Button, Csrf, e, ErrorSummary, FormErrors, Input, Radios, Select } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';
import { field, Html, PageContext, PageRoute, Redirect } from '../page';
import { adminUser, AdminNotice } from './admin.page';

const ROLES = ['clerk', 'supervisor', 'admin'] as const;
type StaffRole = (typeof ROLES)[number];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const roleName = (tx: Texts, role: string) =>
  (ROLES as readonly string[]).includes(role) ? tx.t(`admin.staff.role.${role}` as MessageKey) : role;

/**
 * `/admin/staff`: staff accounts (list, create with an emailed set-password link, disable after a confirmation,
 * enable, send a reset link), through the AgenciesService the admin API uses.
 */
@Injectable()
export class AdminStaffPages {
  constructor(private readonly agencies: AgenciesService) {}

  routes(): PageRoute[] {
    return [
      { method: 'GET', url: '/admin/staff', signedIn: true, handler: (c) => this.list(c, []) },
      { method: 'GET', url: '/admin/staff/new', signedIn: true, handler: (c) => this.form(c, {}, []) },
      { method: 'POST', url: '/admin/staff', signedIn: true, handler: (c) => this.create(c) },
      { method: 'GET', url: '/admin/staff/:id/disable', signedIn: true, handler: (c) => this.confirmDisable(c) },
      { method: 'POST', url: '/admin/staff/:id/disable', signedIn: true, handler: (c) => this.disable(c) },
      { method: 'POST', url: '/admin/staff/:id/enable', signedIn: true, handler: (c) => this.enable(c) },
      { method: 'POST', url: '/admin/staff/:id/reset', signedIn: true, handler: (c) => this.reset(c) },
      { method: 'POST', url: '/admin/staff/:id/mfa-reset', signedIn: true, handler: (c) => this.resetMfa(c) },
    ];
  }

  private layout(c: PageContext, title: string, errors: FormErrors, children: JSX.Element[]): JSX.Element {
    return (
      <Layout
        tx={c.tx}
        title={title}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="admin"
        role={c.session?.role}
        hasErrors={errors.length > 0}
      >
        {children}
      </Layout>
    );
  }

  // ------------------------------------------------------------------ list

  private async list(c: PageContext, errors: FormErrors): Promise<JSX.Element> {
    const me = adminUser(c);
    const { tx } = c;
    const staff = await this.agencies.listStaff();
    return this.layout(c, tx.t('admin.staff.title'), errors, [
      <AdminNotice c={c} />,
      <ErrorSummary tx={tx} errors={errors} />,
      <h1 class="govuk-heading-l">{e(tx.t('admin.staff.title'))}</h1>,
      <a class="govuk-button" data-module="govuk-button" href="/admin/staff/new">
        {e(tx.t('admin.staff.create'))}
      </a>,
      staff.length === 0 ? <p class="govuk-body">{e(tx.t('admin.staff.none'))}</p> : '',
      <ul class="govuk-list" id="staff">
        {staff.map((s) => this.card(c, me, s))}
      </ul>,
    ]);
  }

  private card(c: PageContext, me: AuthUser, s: StaffListEntry): JSX.Element {
    const { tx } = c;
    const name = s.fullName || s.email;
    const hidden = <span class="govuk-visually-hidden">{e(tx.t('admin.staff.of', { name }))}</span>;
    const rows: [string, JSX.Element][] = [
      [tx.t('admin.staff.email'), e(s.email)],
      [tx.t('admin.staff.role'), e(roleName(tx, s.role))],
      [tx.t('admin.staff.agency'), e(s.agencyName ?? tx.t('admin.staff.agency.none'))],
      ...(s.title ? [[tx.t('rulesb.staff.title'), e(s.title)] as [string, JSX.Element]] : []),
      [tx.t('admin.staff.lastSignIn'), e(s.lastSignInAt ? tx.dateTime(s.lastSignInAt) : tx.t('admin.staff.never'))],
      [
        tx.t('admin.staff.status'),
        s.disabledAt ? (
          <strong class="govuk-tag govuk-tag--red">{e(tx.t('admin.staff.disabled'))}</strong>
        ) : (
          <strong class="govuk-tag govuk-tag--green">{e(tx.t('admin.staff.active'))}</strong>
        ),
      ],
    ];
    return (
      <li class="govuk-summary-card" id={`staff-${s.id}`} data-staff={s.email}>
        <div class="govuk-summary-card__title-wrapper">
          <h2 class="govuk-summary-card__title">
            {e(name)}
            {s.id === me.id ? <span class="govuk-caption-m">{e(tx.t('admin.staff.you'))}</span> : ''}
          </h2>
        </div>
        <div class="govuk-summary-card__content">
          <dl class="govuk-summary-list">
            {rows.map(([key, value]) => (
              <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{e(key)}</dt>
                <dd class="govuk-summary-list__value">{value}</dd>
              </div>
            ))}
          </dl>
          <div class="govuk-button-group">
            {s.disabledAt ? (
              <form method="post" action={`/admin/staff/${s.id}/enable`}>
                <Csrf token={c.csrf()} />
                <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">
                  {e(tx.t('admin.staff.enable'))}
                  {hidden}
                </button>
              </form>
            ) : (
              [
                <form method="post" action={`/admin/staff/${s.id}/reset`}>
                  <Csrf token={c.csrf()} />
                  <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">
                    {e(tx.t('admin.staff.reset'))}
                    {hidden}
                  </button>
                </form>,
                <form method="post" action={`/admin/staff/${s.id}/mfa-reset`}>
                  <Csrf token={c.csrf()} />
                  <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">
                    {e(tx.t('mfa.admin.reset'))}
                    {hidden}
                  </button>
                </form>,
                s.id === me.id ? (
                  ''
                ) : (
                  <a class="govuk-link" href={`/admin/staff/${s.id}/disable`}>
                    {e(tx.t('admin.staff.disable'))}
                    {hidden}
                  </a>
                ),
              ]
            )}
          </div>
        </div>
      </li>
    );
  }

  // ------------------------------------------------------------------ create

  private async form(c: PageContext, values: Record<string, string>, errors: FormErrors): Promise<JSX.Element> {
    adminUser(c);
    const { tx } = c;
    const agencies = await this.agencies.list();
    return this.layout(c, tx.t('admin.staff.create'), errors, [
      <a class="govuk-back-link" href="/admin/staff">
        {e(tx.t('admin.staff.title'))}
      </a>,
      <div class="govuk-grid-row">
        <div class="govuk-grid-column-two-thirds">
          <ErrorSummary tx={tx} errors={errors} />
          <h1 class="govuk-heading-l">{e(tx.t('admin.staff.create'))}</h1>
          <p class="govuk-body">{e(tx.t('admin.staff.create.intro'))}</p>
          <form method="post" action="/admin/staff" novalidate>
            <Csrf token={c.csrf()} />
            <Input
              tx={tx}
              name="fullName"
              label={tx.t('admin.staff.fullName')}
              value={values.fullName}
              errors={errors}
              autocomplete="off"
              spellcheck={false}
            />
            <Input
              tx={tx}
              name="email"
              type="email"
              label={tx.t('admin.staff.email')}
              value={values.email}
              errors={errors}
              autocomplete="off"
              spellcheck={false}
            />
            <Radios
              tx={tx}
              name="role"
              legend={tx.t('admin.staff.role')}
              value={values.role}
              errors={errors}
              choices={ROLES.map((r) => ({ value: r, label: roleName(tx, r) }))}
            />
            <Select
              tx={tx}
              name="agencyCode"
              label={tx.t('admin.staff.agency')}
              value={values.agencyCode ?? ''}
              errors={errors}
              choices={[
                { value: '', label: tx.t('admin.staff.agency.none') },
                ...agencies.map((a) => ({ value: a.code, label: `${a.name} (${a.code})` })),
              ]}
            />
            <p class="govuk-hint">{e(tx.t('admin.staff.agency.hint'))}</p>
            <Button>{e(tx.t('admin.staff.submit'))}</Button>
          </form>
        </div>
      </div>,
    ]);
  }

  private async create(c: PageContext) {
    const me = adminUser(c);
    const { tx } = c;
    const values = {
      fullName: field(c.body, 'fullName'),
      email: field(c.body, 'email'),
      role: field(c.body, 'role'),
      agencyCode: field(c.body, 'agencyCode'),
    };
    const errors: FormErrors = [];
    if (!values.fullName || values.fullName.length > 200)
      errors.push({ field: 'fullName', message: tx.t('admin.staff.error.fullName') });
    if (!isEmail(values.email) || values.email.length > 254)
      errors.push({ field: 'email', message: tx.t('admin.staff.error.email') });
    const role = (ROLES as readonly string[]).includes(values.role) ? (values.role as StaffRole) : undefined;
    if (!role) errors.push({ field: 'role', message: tx.t('admin.staff.error.role') });
    if (role && role !== 'admin' && !values.agencyCode)
      errors.push({ field: 'agencyCode', message: tx.t('admin.staff.error.agency') });
    if (role === 'admin' && values.agencyCode)
      errors.push({ field: 'agencyCode', message: tx.t('admin.staff.error.adminAgency') });
    if (errors.length || !role) return new Html(await this.form(c, values, errors), 422);
    let id: string;
    try {
      // Nobody knows this password: the staff member sets their own through the emailed link.
      const created = await this.agencies.createStaff({
        fullName: values.fullName,
        email: values.email,
        role,
        agencyCode: values.agencyCode || undefined,
        password: randomBytes(32).toString('base64url'),
      });
      id = created.id;
    } catch (err) {
      if (err instanceof Conflict) {
        const exists = [{ field: 'email', message: tx.t('admin.staff.error.exists') }];
        return new Html(await this.form(c, values, exists), 409);
      }
      if (err instanceof ValidationFailed) {
        const agency = [{ field: 'agencyCode', message: tx.t('admin.staff.error.agency') }];
        return new Html(await this.form(c, values, agency), 422);
      }
      throw err;
    }
    await this.agencies.resetStaffPassword(me, id);
    return new Redirect('/admin/staff?notice=staff-created');
  }

  // ------------------------------------------------------------------ disable, enable, reset

  private async member(c: PageContext): Promise<StaffListEntry> {
    const id = (c.req.params as { id?: string }).id ?? '';
    const member = UUID.test(id) ? (await this.agencies.listStaff()).find((s) => s.id === id) : undefined;
    if (!member) throw new NotFound('account');
    return member;
  }

  private async confirmDisable(c: PageContext) {
    const me = adminUser(c);
    const { tx } = c;
    const s = await this.member(c);
    if (s.id === me.id || s.disabledAt) return new Redirect('/admin/staff');
    const title = tx.t('admin.staff.disable.title', { name: s.fullName || s.email });
    return this.layout(
      c,
      title,
      [],
      [
        <a class="govuk-back-link" href="/admin/staff">
          {e(tx.t('admin.staff.title'))}
        </a>,
        <div class="govuk-grid-row">
          <div class="govuk-grid-column-two-thirds">
            <h1 class="govuk-heading-l">{e(title)}</h1>
            <p class="govuk-body">
              {e(s.email)} – {e(roleName(tx, s.role))}
              {s.agencyName ? ` – ${e(s.agencyName)}` : ''}
            </p>
            <div class="govuk-warning-text">
              <span class="govuk-warning-text__icon" aria-hidden="true">
                !
              </span>
              <strong class="govuk-warning-text__text">
                <span class="govuk-visually-hidden">{e(tx.t('notice.important'))}</span>
                {e(tx.t('admin.staff.disable.warning'))}
              </strong>
            </div>
            <form method="post" action={`/admin/staff/${s.id}/disable`}>
              <Csrf token={c.csrf()} />
              <div class="govuk-button-group">
                <Button warning>{e(tx.t('admin.staff.disable.confirm'))}</Button>
                <a class="govuk-link" href="/admin/staff">
                  {e(tx.t('admin.staff.cancel'))}
                </a>
              </div>
            </form>
          </div>
        </div>,
      ],
    );
  }

  private async disable(c: PageContext) {
    const me = adminUser(c);
    const s = await this.member(c);
    try {
      await this.agencies.disableAccount(me, s.id);
    } catch (err) {
      if (err instanceof Conflict) {
        const own = [{ field: `staff-${s.id}`, message: c.tx.t('admin.staff.error.own') }];
        return new Html(await this.list(c, own), 409);
      }
      throw err;
    }
    return new Redirect('/admin/staff?notice=staff-disabled');
  }

  private async enable(c: PageContext) {
    adminUser(c);
    const s = await this.member(c);
    await this.agencies.enableAccount(s.id);
    return new Redirect('/admin/staff?notice=staff-enabled');
  }

  private async reset(c: PageContext) {
    const me = adminUser(c);
    const s = await this.member(c);
    try {
      await this.agencies.resetStaffPassword(me, s.id);
    } catch (err) {
      if (err instanceof Conflict) {
        const disabled = [
          { field: `staff-${s.id}`, message: c.tx.t('admin.staff.error.disabledReset', { email: s.email }) },
        ];
        return new Html(await this.list(c, disabled), 409);
      }
      throw err;
    }
    return new Redirect('/admin/staff?notice=staff-reset');
  }

  /** Resets the member's second factor (audited; their sessions end; they enrol again at the next sign-in). */
  private async resetMfa(c: PageContext) {
    const me = adminUser(c);
    const s = await this.member(c);
    await this.agencies.resetStaffMfa(me, s.id);
    return new Redirect('/admin/staff?notice=staff-mfa-reset');
  }
}
