import { e } from '../components';
import type { MessageKey, Texts } from '../i18n';
import { Layout } from '../layout';

export type ErrorKind = 'notFound' | 'csrf' | 'tooMany' | 'badRequest' | 'server';

export const ERROR_STATUS: Record<ErrorKind, number> = {
  notFound: 404,
  csrf: 403,
  tooMany: 429,
  badRequest: 400,
  server: 500,
};

/** One page per kind of error, the same for every cause of that kind (an unknown page and another's dossier alike). */
export function ErrorPage(p: {
  tx: Texts;
  kind: ErrorKind;
  path: string;
  signedIn: boolean;
  csrf: string;
  params?: Record<string, string | number>;
}): JSX.Element {
  const { tx } = p;
  const title = tx.t(`error.${p.kind}.title` as MessageKey);
  return (
    <Layout tx={tx} title={title} path={p.path} signedIn={p.signedIn} csrf={p.csrf}>
      <div class="govuk-grid-row">
        <div class="govuk-grid-column-two-thirds">
          <h1 class="govuk-heading-l">{e(title)}</h1>
          <p class="govuk-body">{e(tx.t(`error.${p.kind}.body` as MessageKey, p.params))}</p>
          <p class="govuk-body">
            <a class="govuk-link" href="/">
              {e(tx.t('error.backHome'))}
            </a>
          </p>
        </div>
      </div>
    </Layout>
  );
}
