import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../auth/auth-user';
import { e, Notice } from '../components';
import type { MessageKey } from '../i18n';
import { Layout } from '../layout';
import type { PageContext, PageRoute } from '../page';
import { staffUser } from '../staff';

/** The signed-in administrator of an /admin page; anyone else gets the not-found page. */
export const adminUser = (c: PageContext): AuthUser => staffUser(c, ['admin']);

/** The notices the administrator pages' redirects may ask for (`?notice=`); anything else is ignored. */
const ADMIN_NOTICES: Partial<Record<string, MessageKey>> = {
  'agency-created': 'admin.agencies.created',
  'agency-saved': 'admin.agencies.saved',
  'holiday-added': 'admin.agencies.holidayAdded',
  'holiday-removed': 'admin.agencies.holidayRemoved',
  'staff-created': 'admin.staff.created',
  'staff-disabled': 'admin.staff.disabledNotice',
  'staff-enabled': 'admin.staff.enabledNotice',
  'staff-reset': 'admin.staff.resetSent',
  'job-retried': 'admin.ops.retried',
  'staff-mfa-reset': 'mfa.admin.resetDone',
};

/** The success banner a redirect asked for, or nothing. */
export function AdminNotice({ c }: { c: PageContext }): JSX.Element {
  const key = c.query.notice ? ADMIN_NOTICES[c.query.notice] : undefined;
  return key ? (
    <Notice tx={c.tx} success>
      {e(c.tx.t(key))}
    </Notice>
  ) : (
    ''
  );
}

/** `/admin`: the administrator's index. */
@Injectable()
export class AdminPages {
  routes(): PageRoute[] {
    return [{ method: 'GET', url: '/admin', signedIn: true, handler: (c) => Promise.resolve(this.index(c)) }];
  }

  private index(c: PageContext): JSX.Element {
    adminUser(c);
    const { tx } = c;
    const links: [string, MessageKey, MessageKey][] = [
      ['/admin/agencies', 'admin.home.agencies', 'admin.home.agencies.desc'],
      ['/admin/staff', 'admin.home.staff', 'admin.home.staff.desc'],
      ['/admin/procedures', 'admin.home.procedures', 'admin.home.procedures.desc'],
      ['/admin/queues', 'admin.home.queues', 'admin.home.queues.desc'],
      ['/admin/notifications', 'admin.home.notifications', 'admin.home.notifications.desc'],
    ];
    return (
      <Layout
        tx={tx}
        title={tx.t('admin.home.title')}
        path={c.path}
        signedIn
        csrf={c.csrf()}
        nav="admin"
        role={c.session?.role}
      >
        <h1 class="govuk-heading-l">{e(tx.t('admin.home.title'))}</h1>
        <p class="govuk-body-l">{e(tx.t('admin.home.intro'))}</p>
        <ul class="govuk-list portal-results" id="admin-sections">
          {links.map(([href, title, desc]) => (
            <li>
              <h2 class="govuk-heading-m govuk-!-margin-bottom-2">
                <a class="govuk-link" href={href}>
                  {e(tx.t(title))}
                </a>
              </h2>
              <p class="govuk-body govuk-!-margin-bottom-0">{e(tx.t(desc))}</p>
            </li>
          ))}
        </ul>
      </Layout>
    );
  }
}
