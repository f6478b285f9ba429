import type { DossierView } from '../applications/dossier.view';
import { e, SummaryList } from './components';
import type { Texts } from './i18n';

/**
 * An issued result as both the citizen's and the staff's dossier page show it: number, date, the verification
 * code (linked to /verify), and the download link once the file is ready.
 */
export function ResultSummary(p: {
  tx: Texts;
  result: NonNullable<DossierView['result']>;
  downloadHref: string;
}): JSX.Element {
  const { tx, result } = p;
  return (
    <>
      <SummaryList
        rows={[
          [tx.t('dossier.result.number'), e(result.number)],
          [tx.t('verify.issuedAt'), e(tx.date(result.issuedAt))],
          [
            tx.t('verify.code'),
            <a class="govuk-link" href={`/verify/${encodeURIComponent(result.verificationCode)}`}>
              {e(result.verificationCode)}
            </a>,
          ],
        ]}
      />
      {result.sha256 ? (
        <p class="govuk-body">
          <a class="govuk-link" href={p.downloadHref} id="result-download">
            {e(tx.t('dossier.result.download'))}
          </a>
        </p>
      ) : (
        <p class="govuk-body">{e(tx.t('dossier.result.preparing'))}</p>
      )}
    </>
  );
}
