/**
 * PDF rendering for documents the portal issues: the payment receipt for
 * fees paid online and the official result document (with a verification QR).
 *
 * Framework-free and deterministic: the same input gives the same bytes.
 * pdfkit's only sources of variation are the info CreationDate (defaults to
 * `new Date()`) and the trailer /ID, which it derives as an MD5 of the info
 * dictionary (CreationDate included); both are pinned here by setting every
 * info field explicitly with CreationDate = ModDate = the document's issue
 * time. Nothing else in the output depends on the clock or on randomness
 * (font subset tags come from the font's resource name, the QR PNG from the
 * URL). Encryption is never used (it would add random keys).
 *
 * Text uses DejaVu Sans, which covers Vietnamese; pdfkit's built-in
 * Helvetica (WinAnsi) cannot show most Vietnamese letters.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import { toBuffer as qrToBuffer } from 'qrcode';
import { formatVnDateLine, formatVnDateTime, isValidDate } from './datetime';
import { formatVnd } from './money';

export type ReceiptItemKind = 'fee' | 'charge' | 'postal';

export interface PaymentReceiptItem {
  kind: ReceiptItemKind;
  name: string;
  /** Integer VND. */
  amount: number;
}

export interface PaymentReceiptData {
  number: string;
  issuedAt: Date;
  agencyName: string;
  payerName: string;
  dossierCode: string;
  procedureName: string;
  items: PaymentReceiptItem[];
  /** Integer VND; must equal the sum of the items. */
  totalVnd: number;
  provider: string;
  providerTransactionNo: string;
  paidAt: Date;
}

export interface ResultDocumentData {
  agencyName: string;
  title: string;
  number: string;
  dossierCode: string;
  citizenName: string;
  decision: string;
  /** Paragraphs of body text. */
  body?: string[];
  signerName: string;
  signerTitle: string;
  issuedAt: Date;
  verificationCode: string;
  verifyUrl: string;
}

export interface RenderOptions {
  /** Deflate content streams (default true). Tests turn it off to inspect the output. */
  compress?: boolean;
  /** Page orientation (default portrait); the registers of src/pdf/forms.ts are landscape. */
  layout?: 'portrait' | 'landscape';
}

/** Written to the PDF info dictionary as Producer and Creator. */
export const PDF_PRODUCER = 'public-services-portal (PDFKit)';
export const PDF_CREATOR = 'public-services-portal';

export const RECEIPT_KIND_LABELS: Readonly<Record<ReceiptItemKind, string>> = {
  fee: 'Phí / Fee',
  charge: 'Lệ phí / Charge',
  postal: 'Cước phí chuyển phát / Postage',
};

/** The receipt's group of fees and charges ("phí, lệ phí"). */
export const RECEIPT_GROUP_FEES = 'Phí, lệ phí / Fees and charges';
/** The subtotal row closing the group of fees and charges. */
export const RECEIPT_SUBTOTAL_FEES = 'Cộng phí, lệ phí / Fees and charges subtotal';
/** The postal charge's own line, outside the fees and charges. */
export const RECEIPT_POSTAL_LINE = 'Cước phí chuyển phát / Postage';

/** A receipt's items split into the fees and charges and the postal charge(s), each in their original order. */
export function receiptGroups(items: readonly PaymentReceiptItem[]): {
  feesAndCharges: PaymentReceiptItem[];
  postal: PaymentReceiptItem[];
} {
  return {
    feesAndCharges: items.filter((it) => it.kind !== 'postal'),
    postal: items.filter((it) => it.kind === 'postal'),
  };
}

/** The info Title of a receipt, e.g. `Biên lai thu phí, lệ phí / Payment receipt BL-2025-000123`. */
export function receiptTitle(r: Pick<PaymentReceiptData, 'number'>): string {
  return nfc(`Biên lai thu phí, lệ phí / Payment receipt ${r.number}`);
}

/** The info Title of a result document: `<title> <number>`. */
export function resultTitle(d: Pick<ResultDocumentData, 'title' | 'number'>): string {
  return nfc(`${d.title} ${d.number}`);
}

// ---------------------------------------------------------------------------
// Fonts and page set-up

const FONT_FILES = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
  italic: 'DejaVuSans-Oblique.ttf',
} as const;
type FontName = keyof typeof FONT_FILES;

/** Absolute path of a DejaVu TTF shipped by the `dejavu-fonts-ttf` package. */
export function dejaVuFontPath(file: string): string {
  try {
    return require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
  } catch {
    return join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', file);
  }
}

let fontData: Record<FontName, Buffer> | undefined;
function fonts(): Record<FontName, Buffer> {
  fontData ??= {
    regular: readFileSync(dejaVuFontPath(FONT_FILES.regular)),
    bold: readFileSync(dejaVuFontPath(FONT_FILES.bold)),
    italic: readFileSync(dejaVuFontPath(FONT_FILES.italic)),
  };
  return fontData;
}

const MARGIN = { top: 50, bottom: 50, left: 56, right: 56 };
const INK = '#1a1a1a';
const MUTED = '#555555';
const RULE = '#9a9a9a';
const HEAD_FILL = '#ececec';
const LINK = '#0b4f9c';

type Doc = PDFKit.PDFDocument;

interface Meta {
  title: string;
  subject: string;
  author: string;
  keywords: string;
  date: Date;
}

function nfc(s: string): string {
  return s.normalize('NFC');
}

function createDoc(meta: Meta, opts: RenderOptions): { doc: Doc; done: Promise<Buffer> } {
  if (!isValidDate(meta.date)) {
    throw new RangeError('issuedAt must be a valid Date');
  }
  // A Date of this realm: pdfkit recognises dates with `instanceof Date`.
  const date = new Date(meta.date.getTime());
  const doc = new PDFDocument({
    size: 'A4',
    layout: opts.layout ?? 'portrait',
    margins: MARGIN,
    compress: opts.compress ?? true,
    bufferPages: true,
    lang: 'vi-VN',
    displayTitle: true,
    pdfVersion: '1.4',
    info: {
      Title: nfc(meta.title),
      Subject: nfc(meta.subject),
      Author: nfc(meta.author),
      Keywords: nfc(meta.keywords),
      Producer: PDF_PRODUCER,
      Creator: PDF_CREATOR,
      CreationDate: date,
      ModDate: date,
    },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const f = fonts();
  doc.registerFont('regular', f.regular);
  doc.registerFont('bold', f.bold);
  doc.registerFont('italic', f.italic);
  doc.font('regular').fontSize(10).fillColor(INK).strokeColor(RULE).lineWidth(0.6);
  return { doc, done };
}

const contentWidth = (doc: Doc): number => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const left = (doc: Doc): number => doc.page.margins.left;
const bottomLimit = (doc: Doc): number => doc.page.height - doc.page.margins.bottom;

function setFont(doc: Doc, font: FontName, size: number, color = INK): Doc {
  return doc.font(font).fontSize(size).fillColor(color);
}

/** Starts a new page when `height` more points would run past the bottom margin. */
function ensureSpace(doc: Doc, height: number, onNewPage?: () => void): void {
  if (doc.y + height > bottomLimit(doc)) {
    doc.addPage();
    onNewPage?.();
  }
}

function hRule(doc: Doc, y: number, x0 = left(doc), x1 = left(doc) + contentWidth(doc)): void {
  doc.save().moveTo(x0, y).lineTo(x1, y).lineWidth(0.6).strokeColor(RULE).stroke().restore();
}

/**
 * When the document runs over one page, writes `<reference> · Trang i/n · Page i/n`
 * in the bottom margin of every page.
 */
function pageNumbers(doc: Doc, reference: string): void {
  const range = doc.bufferedPageRange();
  if (range.count < 2) return;
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing inside the margin must not trigger a page break
    setFont(doc, 'regular', 8, MUTED).text(
      `${nfc(reference)} · Trang ${i + 1}/${range.count} · Page ${i + 1}/${range.count}`,
      left(doc),
      doc.page.height - bottom + 18,
      { width: contentWidth(doc), align: 'center', lineBreak: false },
    );
    doc.page.margins.bottom = bottom;
  }
}

/** Label (regular, muted) / value (bold) rows; the value column wraps. */
function fieldRows(doc: Doc, rows: [label: string, value: string][], labelWidth = 175): void {
  const x = left(doc);
  const valueWidth = contentWidth(doc) - labelWidth;
  for (const [label, rawValue] of rows) {
    const value = nfc(rawValue);
    setFont(doc, 'bold', 10);
    const vh = doc.heightOfString(value, { width: valueWidth });
    setFont(doc, 'regular', 9.5, MUTED);
    const lh = doc.heightOfString(label, { width: labelWidth - 8 });
    const h = Math.max(vh, lh);
    ensureSpace(doc, h + 6);
    const y = doc.y;
    doc.text(label, x, y + 0.5, { width: labelWidth - 8 });
    setFont(doc, 'bold', 10).text(value, x + labelWidth, y, { width: valueWidth });
    doc.x = x;
    doc.y = y + h + 6;
  }
}

// ---------------------------------------------------------------------------
// Payment receipt

interface Column {
  header: string;
  width: number;
  align: 'left' | 'center' | 'right';
}

export async function renderPaymentReceipt(r: PaymentReceiptData, opts: RenderOptions = {}): Promise<Buffer> {
  const sum = r.items.reduce((acc, it) => acc + assertVnd(it.amount, `item "${it.name}"`), 0);
  assertVnd(r.totalVnd, 'totalVnd');
  if (sum !== r.totalVnd) {
    throw new RangeError(`Receipt total ${r.totalVnd} does not equal the sum of its items ${sum}`);
  }
  for (const it of r.items) {
    if (!(it.kind in RECEIPT_KIND_LABELS)) throw new RangeError(`Unknown receipt item kind: ${String(it.kind)}`);
  }
  const paidAt = formatVnDateTime(r.paidAt);
  const issuedAt = formatVnDateTime(r.issuedAt);

  const { doc, done } = createDoc(
    {
      title: receiptTitle(r),
      subject: `Hồ sơ / Dossier ${r.dossierCode}`,
      author: r.agencyName,
      keywords: `${r.number}, ${r.dossierCode}, ${r.providerTransactionNo}`,
      date: r.issuedAt,
    },
    opts,
  );
  const x = left(doc);
  const w = contentWidth(doc);

  // Header: agency on the left, receipt number and date on the right.
  const top = doc.page.margins.top;
  const rightW = 235;
  setFont(doc, 'bold', 11).text(nfc(r.agencyName).toUpperCase(), x, top, { width: w - rightW - 20 });
  const leftBottom = doc.y;
  setFont(doc, 'regular', 9.5, MUTED).text('Số / No.: ', x + w - rightW, top, { width: rightW, continued: true });
  setFont(doc, 'bold', 9.5).text(nfc(r.number));
  setFont(doc, 'regular', 9.5, MUTED).text('Ngày lập / Issued: ', { width: rightW, continued: true });
  setFont(doc, 'regular', 9.5).text(`${issuedAt} (GMT+7)`);
  doc.y = Math.max(leftBottom, doc.y) + 10;
  hRule(doc, doc.y);

  // Title.
  doc.y += 18;
  setFont(doc, 'bold', 17).text('BIÊN LAI THU PHÍ, LỆ PHÍ', x, doc.y, { width: w, align: 'center' });
  setFont(doc, 'italic', 11, MUTED).text('Payment receipt', { width: w, align: 'center' });
  doc.moveDown(0.2);
  setFont(doc, 'regular', 9, MUTED).text('(Thanh toán trực tuyến / Paid online)', { width: w, align: 'center' });
  doc.y += 18;

  fieldRows(doc, [
    ['Người nộp / Payer', r.payerName],
    ['Mã hồ sơ / Dossier code', r.dossierCode],
    ['Thủ tục / Procedure', r.procedureName],
    ['Đơn vị thu / Collected by', r.agencyName],
    ['Hình thức / Method', `Trực tuyến / Online – ${r.provider}`],
    ['Mã giao dịch / Transaction no.', r.providerTransactionNo],
    ['Thời gian thanh toán / Paid at', `${paidAt} (GMT+7)`],
  ]);
  doc.y += 10;

  // Items table with a total row.
  const columns: Column[] = [
    { header: 'STT\nNo.', width: 44, align: 'center' },
    { header: 'Nội dung thu\nDescription', width: w - 44 - 140 - 106, align: 'left' },
    { header: 'Loại\nType', width: 140, align: 'left' },
    { header: 'Số tiền\nAmount', width: 106, align: 'right' },
  ];
  const pad = 6;
  const drawRow = (cells: string[], font: FontName, fill?: string, spans?: number[], align?: Column['align']): void => {
    // `spans[i]` = how many columns cell i covers (default 1).
    const layout: { x: number; width: number; align: Column['align'] }[] = [];
    let cx = x;
    let col = 0;
    for (let i = 0; i < cells.length; i++) {
      const span = spans?.[i] ?? 1;
      const width = columns.slice(col, col + span).reduce((a, c) => a + c.width, 0);
      layout.push({ x: cx, width, align: align ?? (span > 1 ? 'right' : columns[col].align) });
      cx += width;
      col += span;
    }
    setFont(doc, font, 9.5);
    const h = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: layout[i].width - 2 * pad }))) + 2 * pad;
    ensureSpace(doc, h, header);
    const y = doc.y;
    if (fill) doc.save().rect(x, y, w, h).fillColor(fill).fill().restore();
    doc.save().lineWidth(0.6).strokeColor(RULE);
    for (const cell of layout) doc.rect(cell.x, y, cell.width, h).stroke();
    doc.restore();
    setFont(doc, font, 9.5);
    cells.forEach((c, i) => {
      doc.text(c, layout[i].x + pad, y + pad, { width: layout[i].width - 2 * pad, align: layout[i].align });
    });
    doc.x = x;
    doc.y = y + h;
  };
  const header = (): void =>
    drawRow(
      columns.map((c) => c.header),
      'bold',
      HEAD_FILL,
    );
  header();
  // Fees and charges (phí, lệ phí) form one group with its own subtotal; the postal charge is the price of a
  // delivery service, not a fee or charge, so it has its own line outside the group.
  const { feesAndCharges, postal } = receiptGroups(r.items);
  drawRow([RECEIPT_GROUP_FEES], 'bold', undefined, [4], 'left');
  feesAndCharges.forEach((it, i) => {
    drawRow([String(i + 1), nfc(it.name), RECEIPT_KIND_LABELS[it.kind], formatVnd(it.amount)], 'regular');
  });
  const feesTotal = feesAndCharges.reduce((acc, it) => acc + it.amount, 0);
  drawRow([RECEIPT_SUBTOTAL_FEES, formatVnd(feesTotal)], 'bold', undefined, [3, 1]);
  postal.forEach((it) => {
    drawRow(['', `${RECEIPT_POSTAL_LINE}\n${nfc(it.name)}`, '', formatVnd(it.amount)], 'regular');
  });
  drawRow(['Tổng cộng / Total', formatVnd(r.totalVnd)], 'bold', HEAD_FILL, [3, 1]);

  // Closing note.
  doc.y += 16;
  const note =
    'Biên lai điện tử được lập tự động khi thanh toán trực tuyến thành công; không cần chữ ký, đóng dấu.\n' +
    'Electronic receipt issued automatically upon successful online payment; valid without signature or seal.';
  setFont(doc, 'italic', 8.5, MUTED);
  ensureSpace(doc, doc.heightOfString(note, { width: w }));
  doc.text(note, x, doc.y, { width: w });

  pageNumbers(doc, `Biên lai số / Receipt no. ${r.number}`);
  doc.end();
  return done;
}

function assertVnd(amount: number, what: string): number {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`${what}: amount must be a non-negative integer VND, got ${String(amount)}`);
  }
  return amount;
}

// ---------------------------------------------------------------------------
// Result document

const QR_SIZE = 96;

export async function renderResultDocument(d: ResultDocumentData, opts: RenderOptions = {}): Promise<Buffer> {
  const qr = await qrToBuffer(d.verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 1, scale: 6 });
  const dateLine = formatVnDateLine(d.issuedAt);
  const issuedAt = formatVnDateTime(d.issuedAt);

  const { doc, done } = createDoc(
    {
      title: resultTitle(d),
      subject: `Kết quả giải quyết hồ sơ / Result of dossier ${d.dossierCode}`,
      author: d.agencyName,
      keywords: `${d.number}, ${d.dossierCode}, ${d.verificationCode}`,
      date: d.issuedAt,
    },
    opts,
  );
  const x = left(doc);
  const w = contentWidth(doc);
  const top = doc.page.margins.top;

  // Header: agency and number on the left, national motto and date on the right.
  const leftW = 200;
  const rightX = x + leftW + 15;
  const rightW = w - leftW - 15;
  setFont(doc, 'bold', 10.5).text(nfc(d.agencyName).toUpperCase(), x, top, { width: leftW, align: 'center' });
  let ly = doc.y + 3;
  hRule(doc, ly, x + leftW / 2 - 30, x + leftW / 2 + 30);
  ly += 7;
  setFont(doc, 'regular', 10).text(`Số / No.: ${nfc(d.number)}`, x, ly, { width: leftW, align: 'center' });
  const leftBottom = doc.y;

  setFont(doc, 'bold', 10.5).text('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', rightX, top, {
    width: rightW,
    align: 'center',
  });
  setFont(doc, 'bold', 11).text('Độc lập - Tự do - Hạnh phúc', rightX, doc.y + 1, { width: rightW, align: 'center' });
  const mottoW = doc.widthOfString('Độc lập - Tự do - Hạnh phúc');
  const ry = doc.y + 3;
  hRule(doc, ry, rightX + (rightW - mottoW) / 2, rightX + (rightW + mottoW) / 2);
  setFont(doc, 'italic', 10).text(upperFirst(dateLine), rightX, ry + 9, { width: rightW, align: 'center' });
  doc.y = Math.max(leftBottom, doc.y) + 34;

  // Title.
  setFont(doc, 'bold', 16).text(nfc(d.title).toUpperCase(), x, doc.y, { width: w, align: 'center' });
  doc.y += 22;

  fieldRows(
    doc,
    [
      ['Mã hồ sơ / Dossier code', d.dossierCode],
      ['Công dân / Citizen', d.citizenName],
      ['Kết quả / Decision', d.decision],
      ['Ngày cấp / Issued', `${issuedAt} (GMT+7)`],
    ],
    160,
  );

  // Body.
  if (d.body?.length) {
    doc.y += 8;
    setFont(doc, 'regular', 11);
    for (const p of d.body) {
      doc.text(nfc(p), x, doc.y, { width: w, align: 'justify', indent: 24, lineGap: 2, paragraphGap: 6 });
    }
  }

  // Signer block, right half; kept on one page.
  doc.y += 24;
  const signX = x + w / 2;
  const signW = w / 2;
  setFont(doc, 'bold', 10.5);
  const titleH = doc.heightOfString(nfc(d.signerTitle).toUpperCase(), { width: signW });
  setFont(doc, 'bold', 11);
  const nameH = doc.heightOfString(nfc(d.signerName), { width: signW });
  ensureSpace(doc, titleH + 64 + nameH);
  setFont(doc, 'bold', 10.5).text(nfc(d.signerTitle).toUpperCase(), signX, doc.y, { width: signW, align: 'center' });
  doc.y += 64;
  setFont(doc, 'bold', 11).text(nfc(d.signerName), signX, doc.y, { width: signW, align: 'center' });

  // Verification block pinned to the bottom of the last page.
  const blockH = QR_SIZE + 12;
  const blockTop = bottomLimit(doc) - blockH;
  if (doc.y + 16 > blockTop) doc.addPage();
  hRule(doc, blockTop);
  const qrY = blockTop + 12;
  doc.image(qr, x, qrY, { width: QR_SIZE, height: QR_SIZE });
  const tx = x + QR_SIZE + 14;
  const tw = w - QR_SIZE - 14;
  setFont(doc, 'regular', 9.5, MUTED).text('Mã xác thực / Verification code: ', tx, qrY + 6, {
    width: tw,
    continued: true,
  });
  setFont(doc, 'bold', 11).text(nfc(d.verificationCode));
  doc.y += 4;
  setFont(doc, 'regular', 9.5, MUTED).text('Tra cứu tại / Verify at:', tx, doc.y, { width: tw });
  setFont(doc, 'regular', 9.5, LINK).text(d.verifyUrl, tx, doc.y, { width: tw, link: d.verifyUrl, underline: true });
  doc.y += 6;
  setFont(doc, 'italic', 8.5, MUTED).text(
    'Quét mã QR hoặc truy cập địa chỉ trên để kiểm tra tính xác thực của văn bản.\n' +
      'Scan the QR code or open the address above to check that this document is authentic.',
    tx,
    doc.y,
    { width: tw },
  );

  pageNumbers(doc, `Số / No. ${d.number}`);
  doc.end();
  return done;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------
// Building blocks for the other documents of src/pdf (forms.ts: the official forms of Circular 01/2018).

export type { Doc, FontName, Meta };
export {
  createDoc,
  contentWidth,
  left,
  bottomLimit,
  setFont,
  ensureSpace,
  hRule,
  pageNumbers,
  fieldRows,
  nfc,
  upperFirst,
};
export { INK, MUTED, RULE, HEAD_FILL };
