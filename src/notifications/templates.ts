/**
 * Citizen-facing messages, Vietnamese and English, chosen by the citizen's
 * language. One template per event (the workflow action key); actions
 * without their own template get the generic one naming the new state.
 */
export interface MessageContext {
  code: string | null;
  procedureName: string;
  fullName: string;
  state: string;
  dueAt: Date | null;
  comment: string | null;
  baseUrl: string;
  dossierId: string;
}

type Template = (c: MessageContext) => { subject: string; body: string };
type Locale = 'vi' | 'en';

const fmt = (d: Date | null, locale: Locale) =>
  d ? d.toLocaleString(locale === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short', timeStyle: 'short' }) : '-';
const note = (c: MessageContext, label: string) => (c.comment ? `\n${label}: ${c.comment}` : '');

const TEMPLATES: Record<Locale, Record<string, Template>> = {
  vi: {
    submit: (c) => ({ subject: `Đã nộp hồ sơ ${c.code}`, body: `Hồ sơ ${c.code} (${c.procedureName}) đã được nộp và đang chờ cơ quan tiếp nhận.` }),
    resubmit: (c) => ({ subject: `Đã bổ sung hồ sơ ${c.code}`, body: `Hồ sơ ${c.code} đã được bổ sung và chuyển lại cơ quan xử lý.` }),
    receive: (c) => ({ subject: `Tiếp nhận hồ sơ ${c.code}`, body: `Hồ sơ ${c.code} (${c.procedureName}) đã được tiếp nhận. Ngày hẹn trả kết quả: ${fmt(c.dueAt, 'vi')}.` }),
    request_supplement: (c) => ({ subject: `Yêu cầu bổ sung hồ sơ ${c.code}`, body: `Cơ quan yêu cầu bổ sung hồ sơ ${c.code}.${note(c, 'Nội dung')}\nThời hạn xử lý tạm dừng đến khi bạn bổ sung.` }),
    refuse: (c) => ({ subject: `Từ chối tiếp nhận hồ sơ ${c.code}`, body: `Hồ sơ ${c.code} không được tiếp nhận.${note(c, 'Lý do')}` }),
    approve: (c) => ({ subject: `Hồ sơ ${c.code} đã được phê duyệt`, body: `Hồ sơ ${c.code} (${c.procedureName}) đã được phê duyệt.${note(c, 'Ghi chú')}` }),
    reject: (c) => ({ subject: `Hồ sơ ${c.code} không được giải quyết`, body: `Hồ sơ ${c.code} không được giải quyết.${note(c, 'Lý do')}` }),
    withdraw: (c) => ({ subject: `Đã rút hồ sơ ${c.code}`, body: `Bạn đã rút hồ sơ ${c.code}.` }),
    payment_confirmed: (c) => ({ subject: `Đã nhận thanh toán hồ sơ ${c.code}`, body: `Khoản thanh toán cho hồ sơ ${c.code} đã được xác nhận. Biên lai điện tử có trong hồ sơ.` }),
    _default: (c) => ({ subject: `Cập nhật hồ sơ ${c.code}`, body: `Hồ sơ ${c.code} chuyển sang trạng thái: ${c.state}.${note(c, 'Ghi chú')}` }),
  },
  en: {
    submit: (c) => ({ subject: `Dossier ${c.code} submitted`, body: `Your dossier ${c.code} (${c.procedureName}) was submitted and awaits receipt by the agency.` }),
    resubmit: (c) => ({ subject: `Dossier ${c.code} supplemented`, body: `Your dossier ${c.code} was supplemented and is back with the agency.` }),
    receive: (c) => ({ subject: `Dossier ${c.code} received`, body: `Your dossier ${c.code} (${c.procedureName}) was received. Result due: ${fmt(c.dueAt, 'en')}.` }),
    request_supplement: (c) => ({ subject: `Dossier ${c.code}: documents requested`, body: `The agency asks you to supplement dossier ${c.code}.${note(c, 'Details')}\nThe time limit is paused until you do.` }),
    refuse: (c) => ({ subject: `Dossier ${c.code} refused`, body: `Your dossier ${c.code} was not accepted.${note(c, 'Reason')}` }),
    approve: (c) => ({ subject: `Dossier ${c.code} approved`, body: `Your dossier ${c.code} (${c.procedureName}) was approved.${note(c, 'Note')}` }),
    reject: (c) => ({ subject: `Dossier ${c.code} rejected`, body: `Your dossier ${c.code} was rejected.${note(c, 'Reason')}` }),
    withdraw: (c) => ({ subject: `Dossier ${c.code} withdrawn`, body: `You withdrew dossier ${c.code}.` }),
    payment_confirmed: (c) => ({ subject: `Dossier ${c.code}: payment confirmed`, body: `Your payment for dossier ${c.code} is confirmed. The e-receipt is in your dossier.` }),
    _default: (c) => ({ subject: `Dossier ${c.code} updated`, body: `Your dossier ${c.code} moved to: ${c.state}.${note(c, 'Note')}` }),
  },
};

export function renderMessage(event: string, locale: Locale, c: MessageContext): { subject: string; text: string } {
  const set = TEMPLATES[locale] ?? TEMPLATES.vi;
  const { subject, body } = (set[event] ?? set._default)(c);
  const greeting = locale === 'vi' ? `Kính gửi ${c.fullName},` : `Dear ${c.fullName},`;
  const link = `${c.baseUrl}/api/v1/applications/${c.dossierId}`;
  return { subject, text: `${greeting}\n\n${body}\n\n${link}\n` };
}
