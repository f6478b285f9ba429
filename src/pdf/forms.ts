/**
 * The official forms of Circular 01/2018/TT-VPCP (one-stop shop): 01 receipt and appointment slip, 02
 * supplementation request, 03 refusal notice, 04 apology and new date, 05 processing-control sheet, 06 tracking
 * log. One layout for all of them, as the Circular draws them: the agency and the document's reference on the
 * left, the national motto and the date line on the right, the form number above, the title, the body (field
 * rows, paragraphs, tables) and the signature blocks. What goes in each form is decided in src/forms (pure
 * builders); this file only lays it out.
 *
 * Deterministic like the other documents (src/pdf/render.ts): the same form gives the same bytes (the document
 * date is the form's own date, never the clock).
 */
import { formatVnDateLine } from './datetime';
import {
  contentWidth,
  createDoc,
  Doc,
  ensureSpace,
  fieldRows,
  FontName,
  HEAD_FILL,
  hRule,
  left,
  MUTED,
  nfc,
  pageNumbers,
  RenderOptions,
  RULE,
  setFont,
  upperFirst,
} from './render';

export type FormNumber = '01' | '02' | '03' | '04' | '05' | '06';

/** The titles, as the Circular prints them. */
export const FORM_TITLES: Readonly<Record<FormNumber, string>> = {
  '01': 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ',
  '02': 'PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ',
  '03': 'PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ',
  '04': 'PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ',
  '05': 'PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ',
  '06': 'SỔ THEO DÕI HỒ SƠ',
};

export interface FormColumn {
  header: string;
  /** Share of the content width; the shares of a table add up to 1. */
  share: number;
  align?: 'left' | 'center' | 'right';
}

export interface FormTable {
  caption?: string;
  columns: FormColumn[];
  rows: string[][];
  /** Shown as the only row when `rows` is empty. */
  empty?: string;
}

export interface SignatureBlock {
  title: string;
  /** Italic line under the title, e.g. `(Ký, ghi rõ họ tên)`. */
  note?: string;
  name?: string;
}

export type FormPart =
  | { kind: 'fields'; rows: [label: string, value: string][] }
  | { kind: 'paragraphs'; text: string[] }
  | { kind: 'list'; caption?: string; items: string[] }
  | { kind: 'table'; table: FormTable };

export interface OfficialForm {
  form: FormNumber;
  agencyName: string;
  /** The document's reference under the agency (the dossier code; the period for form 06). */
  reference: string;
  /** The form's date (the date line and the PDF's dates). */
  date: Date;
  /** `Kính gửi: ...` under the title, when the form is addressed to someone. */
  addressee?: string;
  parts: FormPart[];
  signatures: { left?: SignatureBlock; right?: SignatureBlock };
  /** Smaller text for wide tables (form 05, 06). */
  compact?: boolean;
  landscape?: boolean;
}

const MOTTO_1 = 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM';
const MOTTO_2 = 'Độc lập - Tự do - Hạnh phúc';

/** The PDF info Title: `Mẫu số 01 - GIẤY TIẾP NHẬN ... - <reference>`. */
export function formTitle(f: Pick<OfficialForm, 'form' | 'reference'>): string {
  return nfc(`Mẫu số ${f.form} - ${FORM_TITLES[f.form]} - ${f.reference}`);
}

export async function renderOfficialForm(f: OfficialForm, opts: RenderOptions = {}): Promise<Buffer> {
  const { doc, done } = createDoc(
    {
      title: formTitle(f),
      subject: `Thông tư 01/2018/TT-VPCP - Mẫu số ${f.form}`,
      author: f.agencyName,
      keywords: `Mẫu số ${f.form}, ${f.reference}`,
      date: f.date,
    },
    { ...opts, layout: f.landscape ? 'landscape' : opts.layout },
  );
  const x = left(doc);
  const w = contentWidth(doc);
  const top = doc.page.margins.top;
  const size = f.compact ? 8.5 : 10.5;

  // The form number, top right.
  setFont(doc, 'italic', 8.5, MUTED).text(`Mẫu số ${f.form} (Thông tư 01/2018/TT-VPCP)`, x, top - 22, {
    width: w,
    align: 'right',
  });

  // Header: agency and reference on the left, motto and date line on the right.
  const leftW = 200;
  const rightX = x + leftW + 15;
  const rightW = w - leftW - 15;
  setFont(doc, 'bold', 10).text(nfc(f.agencyName).toUpperCase(), x, top, { width: leftW, align: 'center' });
  let ly = doc.y + 3;
  hRule(doc, ly, x + leftW / 2 - 30, x + leftW / 2 + 30);
  ly += 7;
  setFont(doc, 'regular', 9.5).text(`Số: ${nfc(f.reference)}`, x, ly, { width: leftW, align: 'center' });
  const leftBottom = doc.y;
  setFont(doc, 'bold', 10).text(MOTTO_1, rightX, top, { width: rightW, align: 'center' });
  setFont(doc, 'bold', 10.5).text(MOTTO_2, rightX, doc.y + 1, { width: rightW, align: 'center' });
  const mottoW = doc.widthOfString(MOTTO_2);
  const ry = doc.y + 3;
  hRule(doc, ry, rightX + (rightW - mottoW) / 2, rightX + (rightW + mottoW) / 2);
  setFont(doc, 'italic', 10).text(upperFirst(formatVnDateLine(f.date)), rightX, ry + 9, {
    width: rightW,
    align: 'center',
  });
  doc.y = Math.max(leftBottom, doc.y) + 26;

  setFont(doc, 'bold', 14).text(FORM_TITLES[f.form], x, doc.y, { width: w, align: 'center' });
  doc.y += 8;
  if (f.addressee) {
    setFont(doc, 'regular', 11).text(`Kính gửi: ${nfc(f.addressee)}`, x, doc.y, { width: w, align: 'center' });
  }
  doc.y += 14;

  for (const part of f.parts) {
    switch (part.kind) {
      case 'fields':
        fieldRows(doc, part.rows, 170);
        doc.y += 4;
        break;
      case 'paragraphs':
        setFont(doc, 'regular', size);
        for (const p of part.text) {
          ensureSpace(doc, 2 * size);
          doc.text(nfc(p), x, doc.y, { width: w, align: 'justify', lineGap: 1.5, paragraphGap: 5 });
        }
        break;
      case 'list':
        if (part.caption) setFont(doc, 'bold', size).text(nfc(part.caption), x, doc.y, { width: w });
        setFont(doc, 'regular', size);
        part.items.forEach((item, i) => {
          ensureSpace(doc, 2 * size);
          doc.text(`${i + 1}. ${nfc(item)}`, x + 12, doc.y, { width: w - 12, lineGap: 1.5, paragraphGap: 3 });
        });
        doc.y += 6;
        break;
      case 'table':
        drawTable(doc, part.table, f.compact ? 7.5 : 9);
        doc.y += 10;
        break;
    }
  }

  signatures(doc, f.signatures);
  pageNumbers(doc, `Mẫu số ${f.form} · ${f.reference}`);
  doc.end();
  return done;
}

function drawTable(doc: Doc, t: FormTable, size: number): void {
  const x = left(doc);
  const w = contentWidth(doc);
  const pad = 4;
  if (t.caption) {
    setFont(doc, 'bold', size + 1.5);
    ensureSpace(doc, 3 * size);
    doc.text(nfc(t.caption), x, doc.y, { width: w });
    doc.y += 3;
  }
  const widths = t.columns.map((c) => c.share * w);
  const row = (cells: string[], font: FontName, fill?: string, span = false): void => {
    const layout = span
      ? [{ x, width: w, align: 'center' as const }]
      : widths.map((width, i) => ({
          x: x + widths.slice(0, i).reduce((a, b) => a + b, 0),
          width,
          align: t.columns[i].align ?? 'left',
        }));
    setFont(doc, font, size);
    const h =
      Math.max(...cells.map((c, i) => doc.heightOfString(nfc(c), { width: layout[i].width - 2 * pad }))) + 2 * pad;
    ensureSpace(doc, h, header);
    const y = doc.y;
    if (fill) doc.save().rect(x, y, w, h).fillColor(fill).fill().restore();
    doc.save().lineWidth(0.5).strokeColor(RULE);
    for (const cell of layout) doc.rect(cell.x, y, cell.width, h).stroke();
    doc.restore();
    setFont(doc, font, size);
    cells.forEach((c, i) => {
      doc.text(nfc(c), layout[i].x + pad, y + pad, { width: layout[i].width - 2 * pad, align: layout[i].align });
    });
    doc.x = x;
    doc.y = y + h;
  };
  const header = (): void =>
    row(
      t.columns.map((c) => c.header),
      'bold',
      HEAD_FILL,
    );
  header();
  if (t.rows.length === 0) row([t.empty ?? '—'], 'italic', undefined, true);
  for (const r of t.rows) row(r, 'regular');
}

function signatures(doc: Doc, s: OfficialForm['signatures']): void {
  const blocks: [SignatureBlock | undefined, number][] = [
    [s.left, left(doc)],
    [s.right, left(doc) + contentWidth(doc) / 2],
  ];
  const bw = contentWidth(doc) / 2;
  doc.y += 14;
  ensureSpace(doc, 110);
  const y0 = doc.y;
  let bottom = y0;
  for (const [b, bx] of blocks) {
    if (!b) continue;
    setFont(doc, 'bold', 10.5).text(nfc(b.title).toUpperCase(), bx, y0, { width: bw, align: 'center' });
    if (b.note) setFont(doc, 'italic', 9, MUTED).text(nfc(b.note), bx, doc.y, { width: bw, align: 'center' });
    let y = doc.y + 56;
    if (b.name) {
      setFont(doc, 'bold', 10.5).text(nfc(b.name), bx, y, { width: bw, align: 'center' });
      y = doc.y;
    }
    bottom = Math.max(bottom, y);
  }
  doc.x = left(doc);
  doc.y = bottom + 6;
}
