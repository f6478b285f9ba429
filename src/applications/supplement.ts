import { Conflict, FieldError, ValidationFailed } from '../common/problem';

/**
 * Supplementation requests (form 02; Decree 61/2018 art. 15): the agency asks once per round, listing every
 * missing or wrong item. Pure helpers; ApplicationsService applies them to the action keyed
 * `request_supplement` (the conventional key; form 02 follows the same key).
 */
export const SUPPLEMENT_REQUEST_ACTION = 'request_supplement';

export interface SupplementItem {
  name: string;
  reason?: string;
}

/** An earlier request of the dossier, and whether the citizen answered it (a state change of theirs since). */
export interface EarlierRequest {
  seq: number;
  comment: string | null;
  data: Record<string, unknown> | null;
}

/** The key two item names compare by: trimmed, spaces collapsed, NFC, lower case. */
export const itemKey = (name: string) => name.normalize('NFC').replace(/\s+/g, ' ').trim().toLocaleLowerCase('vi');

/** The comment's lines (or `;` parts) as items, list markers dropped: requests made before items were listed. */
export function itemsOfComment(comment: string | null | undefined): SupplementItem[] {
  return (comment ?? '')
    .split(/\r?\n|;/)
    .map((r) => r.replace(/^\s*[-•*\d.)]+\s+/, '').trim())
    .filter(Boolean)
    .map((name) => ({ name }));
}

/** The items an entry of the history asked for: `data.items`, else its comment's lines. */
export function itemsOfEntry(e: Pick<EarlierRequest, 'comment' | 'data'>): SupplementItem[] {
  const given: unknown = e.data?.items;
  if (Array.isArray(given)) {
    const items = given
      .map((i: unknown) =>
        typeof i === 'string'
          ? { name: i }
          : i && typeof i === 'object' && typeof (i as SupplementItem).name === 'string'
            ? (i as SupplementItem)
            : null,
      )
      .filter((i): i is SupplementItem => i !== null);
    if (items.length) return items;
  }
  return itemsOfComment(e.comment);
}

/**
 * The items of a new request: those given (at least one, names unique within the round), else the comment's
 * lines. Throws 422 for an empty list or a repeated name.
 */
export function requestItems(given: SupplementItem[] | undefined, comment: string | undefined): SupplementItem[] {
  if (given === undefined) return itemsOfComment(comment);
  const errors: FieldError[] = [];
  if (given.length === 0) errors.push({ field: 'items', message: 'list at least one item to supplement' });
  const seen = new Set<string>();
  const items = given.map((i, n) => {
    const name = i.name.replace(/\s+/g, ' ').trim();
    if (!name) errors.push({ field: `items[${n}].name`, message: 'name the item' });
    else if (seen.has(itemKey(name)))
      errors.push({ field: `items[${n}].name`, message: `"${name}" is listed twice in this request` });
    seen.add(itemKey(name));
    const reason = i.reason?.trim();
    return reason ? { name, reason } : { name };
  });
  if (errors.length) throw new ValidationFailed(errors, 'The supplementation request does not list its items well.');
  return items;
}

/**
 * What the new request's history entry records: its items, its round (1, 2, ...) and the items already asked
 * for in an earlier round (`repeatedItems`, flagged to the supervisors). A request while the previous one is
 * still unanswered (no state change by the citizen since) is refused: one request per round.
 */
export function supplementRequestData(
  items: SupplementItem[],
  earlier: EarlierRequest[],
  lastCitizenMoveSeq: number | null,
): { items: SupplementItem[]; round: number; repeatedItems?: string[] } {
  const last = earlier[earlier.length - 1];
  if (last && (lastCitizenMoveSeq === null || lastCitizenMoveSeq < last.seq)) {
    throw new Conflict(
      'A supplementation was already requested in this round and the citizen has not answered it yet: ' +
        'one request per round, listing every item.',
      'supplement-round-open',
    );
  }
  const before = new Set(earlier.flatMap((e) => itemsOfEntry(e).map((i) => itemKey(i.name))));
  const repeatedItems = items.filter((i) => before.has(itemKey(i.name))).map((i) => i.name);
  return { items, round: earlier.length + 1, ...(repeatedItems.length ? { repeatedItems } : {}) };
}
