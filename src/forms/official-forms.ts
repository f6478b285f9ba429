/**
 * What each official form of Circular 01/2018/TT-VPCP says, from a dossier's data and history (pure: no Nest, no
 * database). Which form applies when:
 * - 01 receipt slip: once the dossier was received (the history entry that gave the receipt, `data.receipt`);
 * - 02 supplementation request: once the agency sent the dossier back to the citizen to complete it (an entry
 *   into a state the citizen may edit, after submission); the latest round;
 * - 03 refusal notice: once refused (the `refuse` action or the `refused` state), the reason being its comment;
 * - 04 apology: once an apology was issued (the latest one);
 * - 05 processing-control sheet: once received, every step since submission; a step handing the dossier to
 *   another agency (transfer, `data.handover`) names both agencies and the hours allotted to the receiving step;
 * - 06 tracking log: an agency's register for a period.
 * A form that does not apply yet is `null`.
 */
import { workingTimeBetween, WorkCalendar } from '../workflow/calendar';
import { timeLimitFor } from '../workflow/deadline';
import type { StateDefinition } from '../workflow/definition';
import { formatVnDateTime } from '../pdf/datetime';
import type { FormNumber, OfficialForm } from '../pdf/forms';
import type { FormDossierRow, FormHistoryRow, RegisterRow } from './forms.repository';

export const DOSSIER_FORMS: readonly FormNumber[] = ['01', '02', '03', '04', '05'];

export interface DossierFacts {
  dossier: FormDossierRow;
  history: FormHistoryRow[];
  /** Files per document key, up to the receipt. */
  papers: { document_key: string; count: number }[];
  apology?: { reason: string; new_due_at: Date; at: Date; issuer_name: string | null };
  /** Agency names by code, for the handovers of a transfer between agencies (form 05). */
  agencyNames?: Record<string, string>;
}

/** `dd/mm/yyyy` in Vietnam time. */
export const vnDate = (d: Date): string => formatVnDateTime(new Date(d)).slice(0, 10);
/** `dd/mm/yyyy HH:mm` in Vietnam time. */
export const vnDateTime = (d: Date): string => formatVnDateTime(new Date(d));

const ROLE_LABELS: Record<string, string> = {
  citizen: 'Công dân',
  clerk: 'Công chức',
  supervisor: 'Lãnh đạo',
  admin: 'Quản trị',
  system: 'Hệ thống',
};

function who(h: Pick<FormHistoryRow, 'actor_role' | 'actor_name'>): string {
  const role = ROLE_LABELS[h.actor_role] ?? h.actor_role;
  return h.actor_name ? `${role}: ${h.actor_name}` : role;
}

/** The entry that received the dossier (gave the receipt): the latest one. */
export function receiptEntry(history: FormHistoryRow[]): FormHistoryRow | undefined {
  return [...history].reverse().find((h) => h.data && typeof h.data.receipt === 'object' && h.data.receipt);
}

/** The latest entry that sent the dossier back to the citizen to complete it. */
export function supplementEntry(f: Pick<DossierFacts, 'dossier' | 'history'>): FormHistoryRow | undefined {
  const states = new Map(f.dossier.workflow.states.map((s) => [s.key, s]));
  return [...f.history]
    .reverse()
    .find(
      (h) =>
        h.from_state !== null &&
        h.from_state !== h.to_state &&
        ['clerk', 'supervisor'].includes(h.actor_role) &&
        !states.get(h.to_state)?.start &&
        (states.get(h.to_state)?.editableBy ?? []).includes('citizen'),
    );
}

export function refusalEntry(history: FormHistoryRow[]): FormHistoryRow | undefined {
  return [...history]
    .reverse()
    .find((h) => h.action === 'refuse' || (h.to_state === 'refused' && h.from_state !== 'refused'));
}

/** Each requested item once: `data.items` when the request listed them, else the comment's lines (or `;` parts). */
export function requestedItems(h: Pick<FormHistoryRow, 'comment' | 'data'>): string[] {
  const given: unknown = h.data?.items;
  // Items are `{name, reason?}` (strings in older entries).
  const listed = Array.isArray(given)
    ? given
        .map((i: unknown) =>
          typeof i === 'string'
            ? i
            : i && typeof i === 'object' && typeof (i as { name?: unknown }).name === 'string'
              ? [(i as { name: string }).name, (i as { reason?: unknown }).reason]
                  .filter((x) => typeof x === 'string' && x)
                  .join(': ')
              : null,
        )
        .filter((i): i is string => !!i)
    : [];
  const raw = listed.length ? listed : (h.comment ?? '').split(/\r?\n|;/);
  const seen = new Set<string>();
  const items: string[] = [];
  for (const r of raw) {
    const item = r.replace(/^\s*[-•*\d.)]+\s+/, '').trim();
    const key = item.normalize('NFC').toLocaleLowerCase('vi');
    if (item && !seen.has(key)) {
      seen.add(key);
      items.push(item);
    }
  }
  return items;
}

function deliveryText(d: FormDossierRow['delivery']): string {
  if (d.method === 'post') {
    return `Qua dịch vụ bưu chính công ích: ${[d.recipient, d.address, d.phone].filter(Boolean).join(', ')}`;
  }
  return 'Trực tuyến: tải về trên Cổng dịch vụ công';
}

const stateLabel = (states: StateDefinition[], key: string | null): string =>
  key === null ? '—' : (states.find((s) => s.key === key)?.label ?? key);

function hoursText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} giờ ${String(minutes % 60).padStart(2, '0')} phút`;
}

const applicantAddressee = (d: FormDossierRow) => `Ông/Bà ${d.applicant_name}`;

function receiptDueAt(f: DossierFacts, r: FormHistoryRow): Date | null {
  const receipt = r.data?.receipt as { dueAt?: string } | undefined;
  return receipt?.dueAt ? new Date(receipt.dueAt) : f.dossier.due_at;
}

/** Form 01, or null before receipt. */
const CHANNEL_TEXT: Record<string, string> = {
  online: 'Trực tuyến',
  counter: 'Trực tiếp tại Bộ phận Một cửa',
  post: 'Qua dịch vụ bưu chính',
};

/** The time limit of the dossier's channel: days and/or hours of working time, else the procedure's days. */
function timeLimitText(d: DossierFacts['dossier']): string {
  const limit = timeLimitFor(d.time_limits, d.channel);
  if (!limit) return `${d.processing_days} ngày làm việc`;
  const parts = [
    ...(limit.days ? [`${limit.days} ngày làm việc`] : []),
    ...(limit.hours ? [`${limit.hours} giờ làm việc`] : []),
  ];
  return parts.join(' ');
}

export function form01(f: DossierFacts): OfficialForm | null {
  const r = receiptEntry(f.history);
  if (!r) return null;
  const d = f.dossier;
  const due = receiptDueAt(f, r);
  const names = new Map(d.required_documents.map((x) => [x.key, x.name]));
  // Province-wide acceptance: the counter that received it issues the receipt and names the competent agency.
  const counter = d.received_agency_name && d.received_agency_code !== d.agency_code ? d.received_agency_name : null;
  return {
    form: '01',
    agencyName: counter ?? d.agency_name,
    reference: d.code ?? d.id,
    date: r.at,
    parts: [
      {
        kind: 'paragraphs',
        text: [counter ? `Bộ phận Một cửa ${counter} tiếp nhận hồ sơ của:` : `${d.agency_name} tiếp nhận hồ sơ của:`],
      },
      {
        kind: 'fields',
        rows: [
          ['Ông/Bà', d.applicant_name],
          ['Số định danh cá nhân', d.applicant_id_number ?? '—'],
          ['Số điện thoại', d.applicant_phone ?? '—'],
          ['Nội dung yêu cầu giải quyết', `${d.procedure_name} (${d.procedure_code})`],
          ['Mã hồ sơ', d.code ?? '—'],
        ],
      },
      {
        kind: 'table',
        table: {
          caption: 'Thành phần hồ sơ nộp gồm:',
          columns: [
            { header: 'STT', share: 0.08, align: 'center' },
            { header: 'Tên giấy tờ', share: 0.6 },
            { header: 'Mã', share: 0.18 },
            { header: 'Số lượng', share: 0.14, align: 'center' },
          ],
          rows: f.papers.map((p, i) => [
            String(i + 1),
            names.get(p.document_key) ?? p.document_key,
            p.document_key,
            `${p.count} bản`,
          ]),
          empty: 'Không có giấy tờ kèm theo',
        },
      },
      {
        kind: 'fields',
        rows: [
          ['Số lượng hồ sơ', '01 (bộ)'],
          ...(counter
            ? ([
                ['Nơi tiếp nhận', `Bộ phận Một cửa ${counter}`],
                ['Cơ quan giải quyết', `${d.agency_name} (hồ sơ được chuyển đến cơ quan có thẩm quyền)`],
              ] as [string, string][])
            : []),
          ['Hình thức nộp', CHANNEL_TEXT[d.channel] ?? d.channel],
          ['Thời gian giải quyết', timeLimitText(d)],
          ['Thời gian nhận hồ sơ', vnDateTime(r.at)],
          ['Thời gian trả kết quả', due ? vnDateTime(due) : '—'],
          ['Hình thức nhận kết quả', deliveryText(d.delivery)],
          ['Người tiếp nhận', r.actor_name ?? who(r)],
        ],
      },
    ],
    signatures: {
      left: { title: 'Người nộp hồ sơ', note: '(Ký và ghi rõ họ tên)', name: d.applicant_name },
      right: { title: 'Người tiếp nhận', note: '(Ký và ghi rõ họ tên)', name: r.actor_name ?? undefined },
    },
  };
}

/** Form 02 (the latest round), or null when no supplementation was requested. */
export function form02(f: DossierFacts): OfficialForm | null {
  const h = supplementEntry(f);
  if (!h) return null;
  const d = f.dossier;
  const round = f.history.filter((x) => x.seq <= h.seq && supplementEntry({ dossier: d, history: [x] })).length;
  const since = d.received_at ?? d.submitted_at;
  return {
    form: '02',
    agencyName: d.agency_name,
    reference: d.code ?? d.id,
    date: h.at,
    addressee: applicantAddressee(d),
    parts: [
      {
        kind: 'paragraphs',
        text: [
          `${since ? `Ngày ${vnDate(since)}, ` : ''}${d.agency_name} tiếp nhận hồ sơ của ông/bà ${d.applicant_name}, mã hồ sơ ${d.code ?? '—'}.`,
          `Nội dung yêu cầu giải quyết: ${d.procedure_name}.`,
          `Sau khi xem xét thành phần hồ sơ, đề nghị ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau (lần ${round}):`,
        ],
      },
      { kind: 'list', items: requestedItems(h) },
      {
        kind: 'paragraphs',
        text: [
          'Thời hạn giải quyết tạm dừng cho đến khi ông/bà bổ sung đủ hồ sơ. ' +
            `Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ ${h.actor_name ?? 'cơ quan'} để được hướng dẫn.`,
        ],
      },
    ],
    signatures: { right: { title: 'Người hướng dẫn', note: '(Ký và ghi rõ họ tên)', name: h.actor_name ?? undefined } },
  };
}

/** Form 03, or null when not refused. */
export function form03(f: DossierFacts): OfficialForm | null {
  const h = refusalEntry(f.history);
  if (!h) return null;
  const d = f.dossier;
  return {
    form: '03',
    agencyName: d.agency_name,
    reference: d.code ?? d.id,
    date: h.at,
    addressee: applicantAddressee(d),
    parts: [
      {
        kind: 'paragraphs',
        text: [
          `${d.submitted_at ? `Ngày ${vnDate(d.submitted_at)}, ` : ''}${d.agency_name} nhận hồ sơ của ông/bà ${d.applicant_name}, mã hồ sơ ${d.code ?? '—'}.`,
          `Nội dung yêu cầu giải quyết: ${d.procedure_name}.`,
          'Qua xem xét, cơ quan từ chối tiếp nhận, giải quyết hồ sơ này với lý do sau:',
        ],
      },
      { kind: 'fields', rows: [['Lý do', h.comment ?? '—']] },
      { kind: 'paragraphs', text: ['Xin thông báo để ông/bà được biết và thực hiện.'] },
    ],
    signatures: { right: { title: 'Người tiếp nhận', note: '(Ký và ghi rõ họ tên)', name: h.actor_name ?? undefined } },
  };
}

/** Form 04 (the latest apology), or null when none was issued. */
export function form04(f: DossierFacts): OfficialForm | null {
  const a = f.apology;
  if (!a) return null;
  const d = f.dossier;
  const r = receiptEntry(f.history);
  const due = r ? receiptDueAt(f, r) : d.due_at;
  return {
    form: '04',
    agencyName: d.agency_name,
    reference: d.code ?? d.id,
    date: a.at,
    addressee: applicantAddressee(d),
    parts: [
      {
        kind: 'paragraphs',
        text: [
          `${d.received_at ? `Ngày ${vnDate(d.received_at)}, ` : ''}${d.agency_name} tiếp nhận hồ sơ của ông/bà ${d.applicant_name}, mã hồ sơ ${d.code ?? '—'}, ` +
            `về ${d.procedure_name}; ngày hẹn trả kết quả: ${due ? vnDate(due) : '—'}.`,
          'Tuy nhiên đến nay, cơ quan chưa trả kết quả giải quyết hồ sơ cho ông/bà.',
        ],
      },
      {
        kind: 'fields',
        rows: [
          ['Lý do', a.reason],
          ['Ngày hẹn trả kết quả mới', vnDate(a.new_due_at)],
        ],
      },
      {
        kind: 'paragraphs',
        text: [
          `Sự chậm trễ này đã gây phiền hà cho ông/bà. ${d.agency_name} xin lỗi ông/bà và hẹn lại ngày trả kết quả là ngày ${vnDate(a.new_due_at)}.`,
        ],
      },
    ],
    signatures: {
      right: { title: 'Thủ trưởng cơ quan', note: '(Ký, ghi rõ họ tên)', name: a.issuer_name ?? undefined },
    },
  };
}

/** A transfer's handover in a history entry (`data.handover`), as form 05 prints it; '' when there is none. */
export function handoverText(h: Pick<FormHistoryRow, 'data'>, names: Record<string, string>): string {
  const o = handoverOf(h);
  if (!o) return '';
  const name = (code: string) => names[code] ?? code;
  const hours = o.allotmentHours !== null ? ` (thời gian giao: ${o.allotmentHours} giờ làm việc)` : '';
  return `Liên thông: ${name(o.from)} chuyển ${name(o.to)}${hours}`;
}

/** The handover of a history entry, when its data carries one. */
export function handoverOf(
  h: Pick<FormHistoryRow, 'data'>,
): { from: string; to: string; allotmentHours: number | null } | undefined {
  const o = h.data?.handover as { from?: unknown; to?: unknown; allotmentHours?: unknown } | undefined;
  if (!o || typeof o.from !== 'string' || typeof o.to !== 'string') return undefined;
  return { from: o.from, to: o.to, allotmentHours: typeof o.allotmentHours === 'number' ? o.allotmentHours : null };
}

/** Form 05, or null before receipt. */
export function form05(f: DossierFacts): OfficialForm | null {
  const r = receiptEntry(f.history);
  if (!r) return null;
  const d = f.dossier;
  const states = d.workflow.states;
  const cal: WorkCalendar = d.calendar;
  const steps = f.history.filter((h) => h.from_state !== null && h.action !== 'edit');
  const last = f.history[f.history.length - 1];
  const rows = steps.map((h, i) => {
    const prev = f.history.filter((x) => x.seq < h.seq).pop();
    const next = steps[i + 1];
    // A state may carry `allotmentHours` (the time allotted to the step); else the overall limit is shown.
    const from: (StateDefinition & { allotmentHours?: number }) | undefined = states.find(
      (s) => s.key === h.from_state,
    );
    const allotted =
      typeof from?.allotmentHours === 'number'
        ? `${from.allotmentHours} giờ làm việc`
        : from?.clock === 'running'
          ? `${d.processing_days} ngày làm việc (cả hồ sơ)`
          : '—';
    const taken = prev ? hoursText(workingTimeBetween(cal, new Date(prev.at), new Date(h.at))) : '—';
    const terminal = states.find((s) => s.key === h.to_state)?.terminal;
    const handover = handoverText(h, f.agencyNames ?? {});
    return [
      String(i + 1),
      `${h.action}: ${stateLabel(states, h.from_state)} → ${stateLabel(states, h.to_state)}`,
      who(h),
      next ? who(next) : terminal ? '—' : 'Đang xử lý',
      vnDateTime(h.at),
      allotted,
      taken,
      [handover, h.comment ?? ''].filter(Boolean).join('\n'),
    ];
  });
  return {
    form: '05',
    agencyName: d.agency_name,
    reference: d.code ?? d.id,
    date: last.at,
    compact: true,
    parts: [
      {
        kind: 'fields',
        rows: [
          ['Mã hồ sơ', d.code ?? '—'],
          ['Người nộp', d.applicant_name],
          ['Thủ tục', d.procedure_name],
          ['Thời gian nhận hồ sơ', vnDateTime(r.at)],
          ['Thời gian hẹn trả kết quả', d.due_at ? vnDateTime(d.due_at) : '—'],
          ['Thời hạn giải quyết', `${d.processing_days} ngày làm việc`],
        ],
      },
      {
        kind: 'table',
        table: {
          caption: 'Quá trình giải quyết hồ sơ',
          columns: [
            { header: 'STT', share: 0.05, align: 'center' },
            { header: 'Bước (từ → đến)', share: 0.2 },
            { header: 'Bên giao', share: 0.14 },
            { header: 'Bên nhận', share: 0.14 },
            { header: 'Thời điểm', share: 0.11 },
            { header: 'Thời gian quy định', share: 0.12 },
            { header: 'Thời gian thực hiện', share: 0.11 },
            { header: 'Ghi chú', share: 0.13 },
          ],
          rows,
        },
      },
    ],
    signatures: {},
  };
}

export interface RegisterFacts {
  agency: { name: string; code: string };
  /** The period, local days, inclusive: [fromDay, toDay]. */
  fromDay: Date;
  toDay: Date;
  /** The end of the period (exclusive instant): on-time is judged at it for dossiers still open. */
  end: Date;
  rows: RegisterRow[];
}

/** Form 06: one row per dossier received in the period. */
export function form06(f: RegisterFacts): OfficialForm {
  const period = `${vnDate(f.fromDay)} - ${vnDate(f.toDay)}`;
  const rows = f.rows.map((r, i) => {
    const state = r.workflow.states.find((s) => s.key === r.state);
    const notCounted = ['refused', 'withdrawn'].includes(r.state) || (state?.terminal && !r.finished_at);
    const timing = notCounted
      ? '—'
      : r.due_at === null
        ? '—'
        : r.finished_at
          ? new Date(r.finished_at) <= new Date(r.due_at)
            ? 'Đúng hạn'
            : 'Trễ hạn'
          : new Date(r.due_at) < f.end
            ? 'Quá hạn (đang giải quyết)'
            : 'Trong hạn (đang giải quyết)';
    return [
      String(i + 1),
      r.code ?? '—',
      r.procedure_name,
      r.applicant_name,
      vnDateTime(r.received_at),
      r.due_at ? vnDateTime(r.due_at) : '—',
      r.finished_at ? vnDateTime(r.finished_at) : '—',
      `${state?.label ?? r.state}${r.result_number ? ` (KQ số ${r.result_number})` : ''}`,
      timing,
    ];
  });
  return {
    form: '06',
    agencyName: f.agency.name,
    reference: period,
    date: new Date(f.end.getTime() - 1),
    compact: true,
    landscape: true,
    parts: [
      {
        kind: 'fields',
        rows: [
          ['Cơ quan', `${f.agency.name} (${f.agency.code})`],
          ['Kỳ theo dõi', `Từ ngày ${vnDate(f.fromDay)} đến ngày ${vnDate(f.toDay)}`],
          ['Số hồ sơ tiếp nhận', String(f.rows.length)],
        ],
      },
      {
        kind: 'table',
        table: {
          columns: [
            { header: 'STT', share: 0.04, align: 'center' },
            { header: 'Mã hồ sơ', share: 0.17 },
            { header: 'Thủ tục', share: 0.15 },
            { header: 'Người nộp', share: 0.11 },
            { header: 'Ngày nhận', share: 0.09 },
            { header: 'Hẹn trả', share: 0.09 },
            { header: 'Ngày trả', share: 0.09 },
            { header: 'Tình trạng, kết quả', share: 0.15 },
            { header: 'Đúng hạn / Trễ hạn', share: 0.11 },
          ],
          rows,
          empty: 'Không có hồ sơ tiếp nhận trong kỳ',
        },
      },
    ],
    signatures: { right: { title: 'Người lập sổ', note: '(Ký và ghi rõ họ tên)' } },
  };
}
