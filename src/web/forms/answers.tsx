import { e } from '../components';
import type { Texts } from '../i18n';
import { schemaLabel } from './schema-text';

/**
 * The form's answers as a GOV.UK summary list, labelled from the schema (flat properties, in the schema's order).
 * A minimal stand-in: the schema-form helper's version replaces it at merge (same signature).
 */
export function Answers(props: {
  tx: Texts;
  schema: object;
  data: Record<string, unknown>;
  changeHref?: string;
}): JSX.Element {
  const { tx } = props;
  const properties = (props.schema as { properties?: Record<string, unknown> }).properties ?? {};
  const show = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : v
          ? JSON.stringify(v)
          : '';
  return (
    <dl class="govuk-summary-list" id="answers">
      {Object.entries(properties).map(([name, node]) => {
        const label = schemaLabel(node, tx.lang, name);
        return (
          <div class="govuk-summary-list__row">
            <dt class="govuk-summary-list__key" safe>
              {label}
            </dt>
            <dd class="govuk-summary-list__value" safe>
              {show(props.data[name])}
            </dd>
            {props.changeHref ? (
              <dd class="govuk-summary-list__actions">
                <a class="govuk-link" href={props.changeHref}>
                  {e(tx.t('dossier.answers.change'))}
                  <span class="govuk-visually-hidden"> {e(label)}</span>
                </a>
              </dd>
            ) : (
              ''
            )}
          </div>
        );
      })}
    </dl>
  );
}
