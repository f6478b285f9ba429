import { assets } from './assets';
import { e } from './components';
import type { Lang, Texts } from './i18n';

export interface LayoutProps {
  tx: Texts;
  title: string;
  /** The path and query of this page (the language switch links back to it). */
  path: string;
  signedIn: boolean;
  csrf: string;
  /** The navigation item of this page. */
  nav?: 'search' | 'lookup' | 'dossiers' | 'account' | 'login' | 'register' | 'staff' | 'counter' | 'reports' | 'admin';
  /** The signed-in account's role: staff see their console's items instead of "my dossiers". */
  role?: string;
  /** The page has a form with errors: the title says so first. */
  hasErrors?: boolean;
  children?: JSX.Element | JSX.Element[];
}

/** The same path with `lang` replaced. */
function withLang(path: string, lang: Lang): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

const Emblem = () => (
  <svg class="portal-emblem" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
    <circle cx="16" cy="16" r="15" fill="#ffcd00" />
    <path fill="#a50e1a" d="M16 5l2.6 7.9H27l-6.8 4.9 2.6 8-6.8-5-6.8 5 2.6-8L5 12.9h8.4z" />
  </svg>
);

/**
 * The console's items for a staff role: the queue (everyone), counter intake (clerks, supervisors: an agency's
 * staff), reports (supervisors, admins), administration (admins).
 */
function staffItems(
  role: string | undefined,
  item: (key: LayoutProps['nav'], href: string, label: string) => JSX.Element,
  tx: Texts,
): JSX.Element[] {
  if (!role || role === 'citizen') return [];
  const items = [item('staff', '/staff', tx.t('layout.nav.staff'))];
  if (role === 'clerk' || role === 'supervisor')
    items.push(item('counter', '/staff/counter', tx.t('layout.nav.counter')));
  if (role === 'supervisor' || role === 'admin')
    items.push(item('reports', '/staff/reports', tx.t('layout.nav.reports')));
  if (role === 'admin') items.push(item('admin', '/admin', tx.t('layout.nav.admin')));
  return items;
}

/** Every page: skip link, header with the portal's name, navigation, language switch, main, footer. */
export function Layout(p: LayoutProps): JSX.Element {
  const { tx } = p;
  const a = assets();
  const item = (key: LayoutProps['nav'], href: string, label: string) => (
    <li class={`govuk-service-navigation__item${p.nav === key ? ' govuk-service-navigation__item--active' : ''}`}>
      <a class="govuk-service-navigation__link" href={href} aria-current={p.nav === key ? 'page' : undefined}>
        {p.nav === key ? <strong class="govuk-service-navigation__active-fallback">{e(label)}</strong> : e(label)}
      </a>
    </li>
  );
  const other: Lang = tx.lang === 'vi' ? 'en' : 'vi';
  return (
    <>
      {'<!DOCTYPE html>'}
      <html lang={tx.lang} class="govuk-template">
        <head>
          <meta charset="utf-8" />
          <title>{e(`${p.hasErrors ? `${tx.t('errors.prefix')} ` : ''}${p.title} – ${tx.t('service.name')}`)}</title>
          <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
          <meta name="theme-color" content="#a50e1a" />
          <link rel="stylesheet" href={`/assets/${a.css}`} />
          <link rel="icon" href="data:," />
        </head>
        <body class="govuk-template__body">
          <a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">
            {e(tx.t('layout.skip'))}
          </a>
          <header class="govuk-generic-header portal-header">
            <div class="govuk-generic-header__container govuk-width-container">
              <div class="govuk-generic-header__logo">
                <a href="/" class="govuk-generic-header__homepage-link">
                  <Emblem />
                  {e(tx.t('service.name'))}
                </a>
              </div>
            </div>
          </header>
          <section
            aria-label={tx.t('layout.nav')}
            class="govuk-service-navigation"
            data-module="govuk-service-navigation"
          >
            <div class="govuk-width-container">
              <div class="govuk-service-navigation__container">
                <nav aria-label={tx.t('layout.nav')} class="govuk-service-navigation__wrapper">
                  <ul class="govuk-service-navigation__list" id="navigation">
                    {item('search', '/', tx.t('layout.nav.search'))}
                    {item('lookup', '/lookup', tx.t('layout.nav.lookup'))}
                    {p.signedIn
                      ? [
                          ...staffItems(p.role, item, tx),
                          p.role && p.role !== 'citizen'
                            ? ''
                            : item('dossiers', '/dossiers', tx.t('layout.nav.dossiers')),
                          item('account', '/account', tx.t('layout.nav.account')),
                          <li class="govuk-service-navigation__item">
                            <form method="post" action="/logout" class="portal-signout">
                              <input type="hidden" name="_csrf" value={p.csrf} />
                              <button type="submit" class="govuk-service-navigation__link portal-linkbutton">
                                {e(tx.t('layout.nav.logout'))}
                              </button>
                            </form>
                          </li>,
                        ]
                      : [
                          item('login', '/login', tx.t('layout.nav.login')),
                          item('register', '/register', tx.t('layout.nav.register')),
                        ]}
                  </ul>
                </nav>
              </div>
              <nav class="govuk-language-navigation" aria-label={tx.t('layout.language')}>
                <ul class="govuk-language-navigation__list">
                  <li class="govuk-language-navigation__list-item">
                    <span class="govuk-language-navigation__text" lang={tx.lang} aria-current="true">
                      {e(tx.t(`lang.${tx.lang}`))}
                    </span>
                  </li>
                  <li class="govuk-language-navigation__list-item">
                    <a
                      class="govuk-language-navigation__link"
                      href={withLang(p.path, other)}
                      lang={other}
                      hreflang={other}
                      rel="alternate"
                    >
                      {e(tx.t(`lang.${other}`))}
                    </a>
                  </li>
                </ul>
              </nav>
            </div>
          </section>
          <div class="govuk-width-container">
            <main class="govuk-main-wrapper" id="main-content">
              {p.children}
            </main>
          </div>
          <footer class="govuk-footer">
            <div class="govuk-width-container">
              <div class="govuk-footer__meta">
                <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                  <h2 class="govuk-visually-hidden">{e(tx.t('layout.footer.nav'))}</h2>
                  <ul class="govuk-footer__inline-list">
                    <li class="govuk-footer__inline-list-item">
                      <a class="govuk-footer__link" href="/lookup">
                        {e(tx.t('layout.nav.lookup'))}
                      </a>
                    </li>
                  </ul>
                  <p class="govuk-body-s">{e(tx.t('layout.footer'))}</p>
                </div>
              </div>
            </div>
          </footer>
          <script type="module" src={`/assets/${a.js}`}></script>
        </body>
      </html>
    </>
  );
}
