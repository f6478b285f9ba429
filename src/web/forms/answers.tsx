import { e } from '../components';
import type { Texts } from '../i18n';
import { fieldId, isDate, propertyEntries, type SchemaNode, typeOf } from './form-data';
import { isMoney, schemaEnumTitle, schemaLabel } from './schema-text';

/**
 * "Check your answers": the form data as a GOV.UK summary list in the schema's order and words (choices by their
 * names, dates dd/mm/yyyy, money with thousands separators, nested objects and lists readable), each row with a
 * "Change" link to `${changeHref}#<field id>` when `changeHref` is given.
 */
export function Answers(props: {
  tx: Texts;
  schema: object;
  data: Record<string, unknown>;
  changeHref?: string;
}): JSX.Element {
  const { tx, changeHref } = props;
  const schema = props.schema as SchemaNode;
  const rows = propertyEntries(schema);
  return (
    <dl class={`govuk-summary-list${changeHref ? '' : ' govuk-summary-list--no-border'}`}>
      {rows.map(([key, node]) => {
        const label = schemaLabel(node, tx.lang, key);
        return (
          <div class="govuk-summary-list__row">
            <dt class="govuk-summary-list__key">{e(label)}</dt>
            <dd class="govuk-summary-list__value">{answer(tx, node, key, props.data?.[key])}</dd>
            {changeHref ? (
              <dd class="govuk-summary-list__actions">
                <a class="govuk-link" href={`${changeHref}#${fieldId(key)}`}>
                  {e(tx.t('filing.change'))}
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

const missing = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** One answer as text (or a list, for an object or an array). */
function answer(tx: Texts, node: SchemaNode, name: string, v: unknown): JSX.Element {
  if (missing(v)) return <span class="govuk-hint govuk-!-margin-bottom-0">{e(tx.t('filing.notAnswered'))}</span>;
  const type = typeOf(node);
  if (type === 'object' && node.properties && typeof v === 'object' && !Array.isArray(v)) {
    const entries = propertyEntries(node).filter(([k]) => !missing((v as Record<string, unknown>)[k]));
    return (
      <ul class="govuk-list">
        {entries.map(([k, child]) => (
          <li>
            {e(schemaLabel(child, tx.lang, k))}: {answer(tx, child, k, (v as Record<string, unknown>)[k])}
          </li>
        ))}
      </ul>
    );
  }
  if (type === 'array' && node.items && Array.isArray(v)) {
    return (
      <ol class="govuk-list govuk-list--number">
        {v.map((item) => (
          <li>{answer(tx, node.items!, name, item)}</li>
        ))}
      </ol>
    );
  }
  return e(scalar(tx, node, name, v));
}

function scalar(tx: Texts, node: SchemaNode, name: string, v: unknown): string {
  if (Array.isArray(node.enum)) return schemaEnumTitle(node, tx.lang, v);
  if (typeof v === 'boolean') return tx.t(v ? 'filing.yes' : 'filing.no');
  if (typeof v === 'number' && isMoney(node, name)) return tx.money(v);
  if (isDate(node) && typeof v === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    if (m) return `${m[3]}/${m[2]}/${m[1]}`;
  }
  return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
}
