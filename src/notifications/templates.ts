/**
 * Messages, Vietnamese and English, chosen by the recipient's language. One
 * template per event: a workflow action key (submit, receive, ...) or a
 * portal event (payment_required, result_available, shipped, delivered,
 * apology, supplement_reminder; for staff: due_soon, overdue, supplement_overdue,
 * shipment_returned; for supervisors: supplement_repeated). Actions without
 * their own template get the generic one naming the new state. Every message
 * ends with the dossier's state by its label in the recipient's language
 * (`stateLabel`), never by its key.
 */
import { en as webEn } from '../web/i18n/en';
import { vi as webVi, type MessageKey } from '../web/i18n/vi';

export interface MessageContext {
  code: string | null;
  procedureName: string;
  fullName: string;
  /** The state's key (the one the event moved the dossier to). */
  state: string;
  /** The workflow's own label of the state (Vietnamese), when it gives one. */
  workflowStateLabel?: string | null;
  /** supplement_repeated: the items asked for again. */
  repeatedItems?: string[] | null;
  dueAt: Date | null;
  newDueAt?: Date | null;
  comment: string | null;
  waybill?: string | null;
  baseUrl: string;
  dossierId: string;
}

type Template = (c: MessageContext) => { subject: string; body: string };
type Locale = 'vi' | 'en';

const fmt = (d: Date | null | undefined, locale: Locale) =>
  d
    ? new Date(d).toLocaleString(locale === 'vi' ? 'vi-VN' : 'en-GB', {
        timeZone: 'Asia/Ho_Chi_Minh',
        dateStyle: 'short',
        timeStyle: 'short',
      })
    : '-';
/**
 * A state's label in `locale`: the common states' texts of the web catalogue (`state.<key>`, the same words the
 * pages show), else the workflow's own label (Vietnamese), else a generic text. Never the raw key.
 */
export function stateLabel(state: string, locale: Locale, workflowLabel?: string | null): string {
  const catalogue: Record<MessageKey, string> = locale === 'en' ? webEn : webVi;
  const key = `state.${state}`;
  if (key !== 'state.other' && Object.prototype.hasOwnProperty.call(catalogue, key))
    return catalogue[key as MessageKey];
  return workflowLabel?.trim() || catalogue['state.other'];
}

const note = (c: MessageContext, label: string) => (c.comment ? `\n${label}: ${c.comment}` : '');

const TEMPLATES: Record<Locale, Record<string, Template>> = {
  vi: {
    submit: (c) => ({ subject: `Đã nộp hồ sơ ${c.code}`, body: `Hồ sơ ${c.code} (${c.procedureName}) đã được nộp.` }),
    resubmit: (c) => ({
      subject: `Đã bổ sung hồ sơ ${c.code}`,
      body: `Hồ sơ ${c.code} đã được bổ sung và chuyển lại cơ quan xử lý.`,
    }),
    receive: (c) => ({
      subject: `Tiếp nhận hồ sơ ${c.code}`,
      body: `Hồ sơ ${c.code} (${c.procedureName}) đã được tiếp nhận. Ngày hẹn trả kết quả: ${fmt(c.dueAt, 'vi')}.`,
    }),
    request_supplement: (c) => ({
      subject: `Yêu cầu bổ sung hồ sơ ${c.code}`,
      body: `Cơ quan yêu cầu bổ sung hồ sơ ${c.code}.${note(c, 'Nội dung')}\nThời hạn xử lý tạm dừng đến khi bạn bổ sung.`,
    }),
    refuse: (c) => ({
      subject: `Từ chối tiếp nhận hồ sơ ${c.code}`,
      body: `Hồ sơ ${c.code} không được tiếp nhận.${note(c, 'Lý do')}`,
    }),
    approve: (c) => ({
      subject: `Hồ sơ ${c.code} đã được phê duyệt`,
      body: `Hồ sơ ${c.code} (${c.procedureName}) đã được phê duyệt.${note(c, 'Ghi chú')}`,
    }),
    reject: (c) => ({
      subject: `Hồ sơ ${c.code} không được giải quyết`,
      body: `Hồ sơ ${c.code} không được giải quyết.${note(c, 'Lý do')}`,
    }),
    withdraw: (c) => ({ subject: `Đã rút hồ sơ ${c.code}`, body: `Bạn đã rút hồ sơ ${c.code}.` }),
    payment_required: (c) => ({
      subject: `Hồ sơ ${c.code}: cần nộp phí, lệ phí`,
      body: `Hồ sơ ${c.code} cần được thanh toán phí, lệ phí trực tuyến để tiếp tục.`,
    }),
    payment_confirmed: (c) => ({
      subject: `Đã nhận thanh toán hồ sơ ${c.code}`,
      body: `Khoản thanh toán cho hồ sơ ${c.code} đã được xác nhận. Biên lai điện tử có trong hồ sơ.`,
    }),
    result_available: (c) => ({
      subject: `Đã có kết quả hồ sơ ${c.code}`,
      body: `Kết quả giải quyết hồ sơ ${c.code} đã được ban hành và có thể tải về trên cổng.`,
    }),
    shipped: (c) => ({
      subject: `Đã gửi kết quả hồ sơ ${c.code}`,
      body: `Kết quả hồ sơ ${c.code} đã được giao cho bưu điện. Mã vận đơn: ${c.waybill ?? '-'}.`,
    }),
    delivered: (c) => ({
      subject: `Đã phát kết quả hồ sơ ${c.code}`,
      body: `Kết quả hồ sơ ${c.code} đã được phát thành công.`,
    }),
    apology: (c) => ({
      subject: `Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ ${c.code}`,
      body: `Cơ quan xin lỗi vì hồ sơ ${c.code} chưa có kết quả đúng hẹn.${note(c, 'Lý do')}\nNgày hẹn trả mới: ${fmt(c.newDueAt, 'vi')}.`,
    }),
    due_soon: (c) => ({
      subject: `Hồ sơ ${c.code} sắp đến hạn`,
      body: `Hồ sơ ${c.code} (${c.procedureName}) đến hạn trả kết quả lúc ${fmt(c.dueAt, 'vi')}.`,
    }),
    overdue: (c) => ({
      subject: `Hồ sơ ${c.code} đã quá hạn`,
      body: `Hồ sơ ${c.code} (${c.procedureName}) đã quá hạn từ ${fmt(c.dueAt, 'vi')}. Hãy xử lý hoặc gửi thư xin lỗi, hẹn lại ngày trả.`,
    }),
    supplement_reminder: (c) => ({
      subject: `Nhắc bổ sung hồ sơ ${c.code}`,
      body: `Hồ sơ ${c.code} (${c.procedureName}) vẫn chờ bạn bổ sung.${note(c, 'Nội dung cần bổ sung')}\nNgày hẹn trả ban đầu (${fmt(c.dueAt, 'vi')}) đã qua trong khi chờ bổ sung; thời hạn giải quyết tạm dừng đến khi bạn bổ sung.`,
    }),
    supplement_overdue: (c) => ({
      subject: `Hồ sơ ${c.code} chờ bổ sung đã qua hạn trả ban đầu`,
      body: `Hồ sơ ${c.code} (${c.procedureName}) đang chờ công dân bổ sung; hạn trả ban đầu ${fmt(c.dueAt, 'vi')} đã qua. Công dân đã được nhắc bổ sung.`,
    }),
    supplement_repeated: (c) => ({
      subject: `Hồ sơ ${c.code}: yêu cầu bổ sung lặp lại nội dung đã yêu cầu`,
      body: `Yêu cầu bổ sung hồ sơ ${c.code} (${c.procedureName}) nêu lại nội dung đã yêu cầu ở lần trước: ${(c.repeatedItems ?? []).join('; ')}. Đề nghị kiểm tra (yêu cầu bổ sung một lần, đầy đủ).${note(c, 'Nội dung yêu cầu')}`,
    }),
    shipment_returned: (c) => ({
      subject: `Bưu điện hoàn trả kết quả hồ sơ ${c.code}`,
      body: `Bưu gửi ${c.waybill ?? ''} của hồ sơ ${c.code} đã bị hoàn trả. Hãy liên hệ công dân.`,
    }),
    _default: (c) => ({
      subject: `Cập nhật hồ sơ ${c.code}`,
      body: `Hồ sơ ${c.code} chuyển sang trạng thái: ${stateLabel(c.state, 'vi', c.workflowStateLabel)}.${note(c, 'Ghi chú')}`,
    }),
  },
  en: {
    submit: (c) => ({
      subject: `Dossier ${c.code} submitted`,
      body: `Your dossier ${c.code} (${c.procedureName}) was submitted.`,
    }),
    resubmit: (c) => ({
      subject: `Dossier ${c.code} supplemented`,
      body: `Your dossier ${c.code} was supplemented and is back with the agency.`,
    }),
    receive: (c) => ({
      subject: `Dossier ${c.code} received`,
      body: `Your dossier ${c.code} (${c.procedureName}) was received. Result due: ${fmt(c.dueAt, 'en')}.`,
    }),
    request_supplement: (c) => ({
      subject: `Dossier ${c.code}: documents requested`,
      body: `The agency asks you to supplement dossier ${c.code}.${note(c, 'Details')}\nThe time limit is paused until you do.`,
    }),
    refuse: (c) => ({
      subject: `Dossier ${c.code} refused`,
      body: `Your dossier ${c.code} was not accepted.${note(c, 'Reason')}`,
    }),
    approve: (c) => ({
      subject: `Dossier ${c.code} approved`,
      body: `Your dossier ${c.code} (${c.procedureName}) was approved.${note(c, 'Note')}`,
    }),
    reject: (c) => ({
      subject: `Dossier ${c.code} rejected`,
      body: `Your dossier ${c.code} was rejected.${note(c, 'Reason')}`,
    }),
    withdraw: (c) => ({ subject: `Dossier ${c.code} withdrawn`, body: `You withdrew dossier ${c.code}.` }),
    payment_required: (c) => ({
      subject: `Dossier ${c.code}: payment needed`,
      body: `Dossier ${c.code} needs its fees paid online to go on.`,
    }),
    payment_confirmed: (c) => ({
      subject: `Dossier ${c.code}: payment confirmed`,
      body: `Your payment for dossier ${c.code} is confirmed. The e-receipt is in your dossier.`,
    }),
    result_available: (c) => ({
      subject: `Dossier ${c.code}: result available`,
      body: `The result of dossier ${c.code} was issued and can be downloaded from the portal.`,
    }),
    shipped: (c) => ({
      subject: `Dossier ${c.code}: result sent by post`,
      body: `The result of dossier ${c.code} was handed to the post. Waybill: ${c.waybill ?? '-'}.`,
    }),
    delivered: (c) => ({
      subject: `Dossier ${c.code}: result delivered`,
      body: `The result of dossier ${c.code} was delivered.`,
    }),
    apology: (c) => ({
      subject: `Dossier ${c.code}: apology and new date`,
      body: `The agency apologises: dossier ${c.code} is late.${note(c, 'Reason')}\nNew date: ${fmt(c.newDueAt, 'en')}.`,
    }),
    due_soon: (c) => ({
      subject: `Dossier ${c.code} is due soon`,
      body: `Dossier ${c.code} (${c.procedureName}) is due at ${fmt(c.dueAt, 'en')}.`,
    }),
    overdue: (c) => ({
      subject: `Dossier ${c.code} is overdue`,
      body: `Dossier ${c.code} (${c.procedureName}) was due at ${fmt(c.dueAt, 'en')}. Finish it or issue an apology with a new date.`,
    }),
    supplement_reminder: (c) => ({
      subject: `Reminder: dossier ${c.code} waits for your supplement`,
      body: `Dossier ${c.code} (${c.procedureName}) still waits for the documents the agency asked for.${note(c, 'Requested')}\nThe original due date (${fmt(c.dueAt, 'en')}) passed while it waited; the time limit stays paused until you supplement.`,
    }),
    supplement_overdue: (c) => ({
      subject: `Dossier ${c.code} waiting for a supplement is past its original due date`,
      body: `Dossier ${c.code} (${c.procedureName}) waits for the citizen's supplement; its original due date ${fmt(c.dueAt, 'en')} has passed. The citizen was reminded.`,
    }),
    supplement_repeated: (c) => ({
      subject: `Dossier ${c.code}: a supplementation request repeats an earlier item`,
      body: `The supplementation request for dossier ${c.code} (${c.procedureName}) asks again for what an earlier round asked: ${(c.repeatedItems ?? []).join('; ')}. Please check it (one complete request per round).${note(c, 'Request')}`,
    }),
    shipment_returned: (c) => ({
      subject: `Result of dossier ${c.code} returned by the post`,
      body: `Parcel ${c.waybill ?? ''} of dossier ${c.code} was returned to sender. Contact the citizen.`,
    }),
    _default: (c) => ({
      subject: `Dossier ${c.code} updated`,
      body: `Your dossier ${c.code} moved to: ${stateLabel(c.state, 'en', c.workflowStateLabel)}.${note(c, 'Note')}`,
    }),
  },
};

export function renderMessage(
  event: string,
  locale: Locale,
  c: MessageContext,
): { subject: string; text: string; sms: string } {
  const set = TEMPLATES[locale] ?? TEMPLATES.vi;
  const template = Object.hasOwn(set, event) ? set[event] : undefined;
  const { subject, body } = (template ?? set._default)(c);
  const greeting = locale === 'vi' ? `Kính gửi ${c.fullName},` : `Dear ${c.fullName},`;
  const link = `${c.baseUrl}/api/v1/applications/${c.dossierId}`;
  // The generic template already names the state; the others end with it.
  const status = template
    ? `\n${locale === 'vi' ? 'Trạng thái hồ sơ' : 'Dossier status'}: ${stateLabel(c.state, locale, c.workflowStateLabel)}.`
    : '';
  return {
    subject,
    text: `${greeting}\n\n${body}${status}\n\n${link}\n`,
    sms: `${subject}. ${body}`.slice(0, 480),
  };
}

/** Messages about an account (no dossier): a password reset link. */
export interface AccountMessageContext {
  fullName: string;
  /** The link with its single-use token. */
  link: string;
  minutes: number;
}

const ACCOUNT_TEMPLATES: Record<
  Locale,
  Record<string, (c: AccountMessageContext) => { subject: string; body: string }>
> = {
  vi: {
    password_reset: (c) => ({
      subject: 'Đặt lại mật khẩu tài khoản Cổng dịch vụ công',
      body: `Có yêu cầu đặt lại mật khẩu cho tài khoản của bạn. Mở liên kết sau trong vòng ${c.minutes} phút để đặt mật khẩu mới (liên kết chỉ dùng được một lần):\n\n${c.link}\n\nNếu bạn không yêu cầu, hãy bỏ qua thư này: mật khẩu của bạn không thay đổi.`,
    }),
  },
  en: {
    password_reset: (c) => ({
      subject: 'Reset the password of your public services portal account',
      body: `Someone asked to reset the password of your account. Open this link within ${c.minutes} minutes to choose a new password (it works once):\n\n${c.link}\n\nIf you did not ask, ignore this message: your password stays as it is.`,
    }),
  },
};

export function renderAccountMessage(
  event: string,
  locale: Locale,
  c: AccountMessageContext,
): { subject: string; text: string } {
  const template = (ACCOUNT_TEMPLATES[locale] ?? ACCOUNT_TEMPLATES.vi)[event];
  if (!template) throw new Error(`no account template for ${event}`);
  const { subject, body } = template(c);
  const greeting = locale === 'vi' ? `Kính gửi ${c.fullName},` : `Dear ${c.fullName},`;
  return { subject, text: `${greeting}\n\n${body}\n` };
}
