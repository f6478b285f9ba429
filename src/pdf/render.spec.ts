import { create as createQr } from 'qrcode';
import {
  dejaVuFontPath,
  PaymentReceiptData,
  PDF_PRODUCER,
  receiptTitle,
  renderPaymentReceipt,
  renderResultDocument,
  ResultDocumentData,
  resultTitle,
} from './render';
import { existsSync } from 'node:fs';

const receipt: PaymentReceiptData = {
  number: 'BL-2025-000123',
  issuedAt: new Date('2025-03-05T02:15:00Z'),
  agencyName: 'Ủy ban nhân dân Quận Hoàn Kiếm',
  payerName: 'Nguyễn Thị Hồng Nhung',
  dossierCode: 'HK-2025-0000457',
  procedureName: 'Cấp Giấy chứng nhận đăng ký hộ kinh doanh',
  items: [
    { kind: 'charge', name: 'Lệ phí đăng ký hộ kinh doanh', amount: 100000 },
    { kind: 'fee', name: 'Phí cung cấp thông tin (bản sao có chứng thực)', amount: 50000 },
    { kind: 'postal', name: 'Cước chuyển phát kết quả qua bưu chính công ích', amount: 35000 },
  ],
  totalVnd: 185000,
  provider: 'VNPAY',
  providerTransactionNo: '14829371',
  paidAt: new Date('2025-03-05T02:14:31Z'),
};

const result: ResultDocumentData = {
  agencyName: 'Ủy ban nhân dân Quận Hoàn Kiếm',
  title: 'Giấy chứng nhận đăng ký hộ kinh doanh',
  number: '0123/GCN-UBND',
  dossierCode: 'HK-2025-0000457',
  citizenName: 'Nguyễn Thị Hồng Nhung',
  decision: 'Chấp thuận đăng ký hộ kinh doanh "Tiệm bánh Hồng Nhung".',
  body: ['Căn cứ Nghị định số 01/2021/NĐ-CP về đăng ký doanh nghiệp.', 'Hộ kinh doanh được phép hoạt động.'],
  signerName: 'Trần Văn Đức',
  signerTitle: 'KT. Chủ tịch\nPhó Chủ tịch',
  issuedAt: new Date('2025-03-05T02:15:00Z'),
  verificationCode: 'K7Q2-9XHD-4M',
  verifyUrl: 'https://dichvucong.example.gov.vn/verify/K7Q2-9XHD-4M',
};

// --- helpers reading the (uncompressed) PDF structure ----------------------

const text = (pdf: Buffer): string => pdf.toString('latin1');

/** Body of indirect object `n` (`n 0 obj ... endobj`). */
function object(pdf: Buffer, n: string): string {
  const m = new RegExp(`(?:^|\\n)${n} 0 obj\\n([\\s\\S]*?)\\nendobj`).exec(text(pdf));
  if (!m) throw new Error(`object ${n} not found`);
  return m[1];
}

/** Decodes a literal PDF string `( ... )` as pdfkit writes it (escaped; UTF-16BE with BOM when non-ASCII). */
function decodePdfString(literal: string): string {
  const inner = /^\(([\s\S]*)\)$/.exec(literal.trim());
  if (!inner) throw new Error(`not a literal string: ${literal}`);
  const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '(': '(', ')': ')', '\\': '\\' };
  const raw = inner[1].replace(/\\([nrtbf()\\])/g, (_, c: string) => map[c]);
  const bytes = Buffer.from(raw, 'latin1');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return bytes.subarray(2).swap16().toString('utf16le');
  return raw;
}

/** A value from the document info dictionary (pdfkit stores each one as an indirect object). */
function info(pdf: Buffer, key: string): string {
  const m = new RegExp(`/${key} (\\d+) 0 R`).exec(text(pdf));
  if (!m) throw new Error(`/${key} not found`);
  return object(pdf, m[1]);
}

/**
 * The text runs of an uncompressed pdfkit PDF, one string per TJ operator. pdfkit writes
 * text as glyph ids of the embedded subset; each font's ToUnicode CMap maps them back.
 */
function textRuns(pdf: Buffer): string[] {
  const s = text(pdf);
  const fontObj = new Map<string, string>(); // resource name (F1) → font object number
  for (const m of s.matchAll(/\/Font <<\n([\s\S]*?)\n>>/g)) {
    for (const f of m[1].matchAll(/\/(F\d+) (\d+) 0 R/g)) fontObj.set(f[1], f[2]);
  }
  const cmaps = new Map<string, Map<number, string>>();
  const cmapOf = (font: string): Map<number, string> => {
    let map = cmaps.get(font);
    if (map) return map;
    map = new Map();
    const toUnicode = /\/ToUnicode (\d+) 0 R/.exec(object(pdf, fontObj.get(font)!));
    if (toUnicode) {
      const cmap = object(pdf, toUnicode[1]);
      for (const r of cmap.matchAll(/<([0-9a-f]{4})> <[0-9a-f]{4}> \[([^\]]*)\]/g)) {
        let gid = parseInt(r[1], 16);
        for (const u of r[2].matchAll(/<([0-9a-f ]+)>/g)) {
          const units = u[1].split(' ').map((h) => parseInt(h, 16));
          map.set(gid++, String.fromCharCode(...units));
        }
      }
    }
    cmaps.set(font, map);
    return map;
  };
  const runs: string[] = [];
  let font = '';
  for (const m of s.matchAll(/\/(F\d+) [\d.]+ Tf\n|\[((?:<[0-9a-f]*>|[-\d.\s])*)\] TJ\n/g)) {
    if (m[1]) {
      font = m[1];
      continue;
    }
    const map = cmapOf(font);
    let run = '';
    for (const h of m[2].matchAll(/<([0-9a-f]*)>/g)) {
      for (let i = 0; i < h[1].length; i += 4) run += map.get(parseInt(h[1].slice(i, i + 4), 16)) ?? '\uFFFD';
    }
    runs.push(run);
  }
  return runs;
}

const pageCount = (pdf: Buffer): number => (text(pdf).match(/\/Type \/Page\n/g) ?? []).length;
const mediaBoxes = (pdf: Buffer): string[] => text(pdf).match(/\/MediaBox \[[^\]]*\]/g) ?? [];
const A4 = '/MediaBox [0 0 595.28 841.89]';

const raw = { compress: false };

// ---------------------------------------------------------------------------

it('finds the DejaVu fonts', () => {
  expect(existsSync(dejaVuFontPath('DejaVuSans.ttf'))).toBe(true);
  expect(existsSync(dejaVuFontPath('DejaVuSans-Bold.ttf'))).toBe(true);
});

describe('renderPaymentReceipt', () => {
  it('returns a one-page A4 PDF', async () => {
    const pdf = await renderPaymentReceipt(receipt);
    expect(Buffer.isBuffer(pdf)).toBe(true);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF\n?$/);
    expect(pageCount(pdf)).toBe(1);
    expect(mediaBoxes(pdf)).toEqual([A4]);
  });

  it('is byte-identical for the same input (compressed and uncompressed)', async () => {
    const a = await renderPaymentReceipt(receipt);
    const b = await renderPaymentReceipt(structuredClone(receipt));
    expect(a.equals(b)).toBe(true);
    const c = await renderPaymentReceipt(receipt, raw);
    const d = await renderPaymentReceipt(receipt, raw);
    expect(c.equals(d)).toBe(true);
    expect(c.equals(a)).toBe(false); // the option does something
  });

  it('changes with the input, /ID included', async () => {
    const a = await renderPaymentReceipt(receipt, raw);
    const b = await renderPaymentReceipt({ ...receipt, number: 'BL-2025-000124' }, raw);
    const id = (pdf: Buffer): string => /\/ID \[<([0-9a-f]+)>/.exec(text(pdf))![1];
    expect(id(a)).not.toBe(id(b));
    expect(a.equals(b)).toBe(false);
  });

  it('writes the info dictionary from the input', async () => {
    const pdf = await renderPaymentReceipt(receipt, raw);
    expect(decodePdfString(info(pdf, 'Title'))).toBe('Biên lai thu phí, lệ phí / Payment receipt BL-2025-000123');
    expect(decodePdfString(info(pdf, 'Title'))).toBe(receiptTitle(receipt));
    expect(decodePdfString(info(pdf, 'Author'))).toBe(receipt.agencyName);
    expect(decodePdfString(info(pdf, 'Keywords'))).toContain('14829371');
    expect(decodePdfString(info(pdf, 'Producer'))).toBe(PDF_PRODUCER);
    expect(info(pdf, 'CreationDate')).toBe('(D:20250305021500Z)');
    expect(info(pdf, 'ModDate')).toBe('(D:20250305021500Z)');
  });

  it('embeds DejaVu (not the WinAnsi standard fonts)', async () => {
    const pdf = text(await renderPaymentReceipt(receipt, raw));
    expect(pdf).toMatch(/\/FontName \/[A-Z]{6}\+DejaVuSans\n/);
    expect(pdf).toMatch(/\/FontName \/[A-Z]{6}\+DejaVuSans-Bold\n/);
    expect(pdf).not.toContain('Helvetica');
  });

  it('shows the title, number, parties, items and total', async () => {
    const runs = textRuns(await renderPaymentReceipt(receipt, raw));
    expect(runs).toEqual(
      expect.arrayContaining([
        'BIÊN LAI THU PHÍ, LỆ PHÍ',
        'Payment receipt',
        'BL-2025-000123',
        'Nguyễn Thị Hồng Nhung',
        'HK-2025-0000457',
        'Trực tuyến / Online – VNPAY',
        '14829371',
        '05/03/2025 09:14 (GMT+7)', // paidAt in UTC+7
        'Lệ phí / Charge',
        '100.000 ₫',
        '50.000 ₫',
        '35.000 ₫',
        'Tổng cộng / Total',
        '185.000 ₫',
      ]),
    );
    expect(runs.join('\n')).not.toContain('\uFFFD');
  });

  it('lists the fees and charges in their own group with a subtotal, the postal charge on its own line after it', async () => {
    const runs = textRuns(await renderPaymentReceipt(receipt, raw));
    const at = (run: string) => runs.indexOf(run);
    expect(at('Phí, lệ phí / Fees and charges')).toBeGreaterThan(-1);
    expect(at('Phí, lệ phí / Fees and charges')).toBeLessThan(at('100.000 ₫'));
    expect(at('50.000 ₫')).toBeLessThan(at('Cộng phí, lệ phí / Fees and charges subtotal'));
    expect(runs[at('Cộng phí, lệ phí / Fees and charges subtotal') + 1]).toBe('150.000 ₫');
    expect(at('Cước phí chuyển phát / Postage')).toBeGreaterThan(at('150.000 ₫'));
    expect(at('35.000 ₫')).toBeGreaterThan(at('Cước phí chuyển phát / Postage'));
    expect(at('35.000 ₫')).toBeLessThan(at('Tổng cộng / Total'));
  });

  it('flows a long item list onto further A4 pages', async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({
      kind: 'fee' as const,
      name: `Khoản phí số ${i + 1}`,
      amount: 1000 * (i + 1),
    }));
    const totalVnd = items.reduce((a, it) => a + it.amount, 0);
    const pdf = await renderPaymentReceipt({ ...receipt, items, totalVnd }, raw);
    expect(pageCount(pdf)).toBeGreaterThan(1);
    expect(mediaBoxes(pdf).every((b) => b === A4)).toBe(true);
  });

  it('accepts decomposed (NFD) Vietnamese input and renders it like NFC', async () => {
    const nfd = { ...receipt, payerName: receipt.payerName.normalize('NFD') };
    expect(nfd.payerName).not.toBe(receipt.payerName);
    const a = await renderPaymentReceipt(receipt);
    const b = await renderPaymentReceipt(nfd);
    expect(a.equals(b)).toBe(true);
  });

  it('rejects a total that does not match the items', async () => {
    await expect(renderPaymentReceipt({ ...receipt, totalVnd: 185001 })).rejects.toThrow(/does not equal/);
  });

  it('rejects non-integer and negative amounts', async () => {
    const bad = (amount: number): PaymentReceiptData => ({
      ...receipt,
      items: [{ kind: 'fee', name: 'x', amount }],
      totalVnd: amount,
    });
    await expect(renderPaymentReceipt(bad(1.5))).rejects.toThrow(RangeError);
    await expect(renderPaymentReceipt(bad(-1000))).rejects.toThrow(RangeError);
  });

  it('rejects an invalid date', async () => {
    await expect(renderPaymentReceipt({ ...receipt, paidAt: new Date('x') })).rejects.toThrow(RangeError);
  });
});

describe('renderResultDocument', () => {
  it('returns a one-page A4 PDF', async () => {
    const pdf = await renderResultDocument(result);
    expect(Buffer.isBuffer(pdf)).toBe(true);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pageCount(pdf)).toBe(1);
    expect(mediaBoxes(pdf)).toEqual([A4]);
  });

  it('is byte-identical for the same input', async () => {
    const a = await renderResultDocument(result);
    const b = await renderResultDocument(structuredClone(result));
    expect(a.equals(b)).toBe(true);
    const c = await renderResultDocument(result, raw);
    const d = await renderResultDocument(result, raw);
    expect(c.equals(d)).toBe(true);
  });

  it('writes the info dictionary from the input', async () => {
    const pdf = await renderResultDocument(result, raw);
    expect(decodePdfString(info(pdf, 'Title'))).toBe('Giấy chứng nhận đăng ký hộ kinh doanh 0123/GCN-UBND');
    expect(decodePdfString(info(pdf, 'Title'))).toBe(resultTitle(result));
    expect(decodePdfString(info(pdf, 'Keywords'))).toContain('K7Q2-9XHD-4M');
    expect(info(pdf, 'CreationDate')).toBe('(D:20250305021500Z)');
  });

  it('shows the motto, title, fields, signer and verification code', async () => {
    const runs = textRuns(await renderResultDocument(result, raw));
    expect(runs).toEqual(
      expect.arrayContaining([
        'Số / No.: 0123/GCN-UBND',
        'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
        'Độc lập - Tự do - Hạnh phúc',
        'Ngày 05 tháng 3 năm 2025',
        'GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH',
        'HK-2025-0000457',
        'Nguyễn Thị Hồng Nhung',
        'KT. CHỦ TỊCH',
        'PHÓ CHỦ TỊCH',
        'Trần Văn Đức',
        'Mã xác thực / Verification code: ',
        'K7Q2-9XHD-4M',
        result.verifyUrl,
      ]),
    );
    expect(runs.join('')).toContain('ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM'); // wraps onto two lines
    expect(runs.join('\n')).not.toContain('\uFFFD');
  });

  it('embeds the QR code of verifyUrl as an image and links the URL', async () => {
    const pdf = await renderResultDocument(result, raw);
    const s = text(pdf);
    expect(s).toContain('/Subtype /Image');
    // The QR image's pixel width is (modules + 2 × margin 1) × scale 6.
    const modules = createQr(result.verifyUrl, { errorCorrectionLevel: 'M' }).modules.size;
    expect(s).toMatch(new RegExp(`/Subtype /Image\\n(?:/[^\\n]*\\n)*?/Width ${(modules + 2) * 6}\\n`));
    expect(s).toContain(`/URI (${result.verifyUrl})`);
  });

  it('changes when the verification URL changes', async () => {
    const a = await renderResultDocument(result);
    const b = await renderResultDocument({ ...result, verifyUrl: `${result.verifyUrl}X` });
    expect(a.equals(b)).toBe(false);
  });

  it('flows a long body onto further A4 pages and keeps the QR on the last one', async () => {
    const body = Array.from({ length: 40 }, (_, i) => `Đoạn ${i + 1}. ` + 'Nội dung dài của văn bản. '.repeat(12));
    const pdf = await renderResultDocument({ ...result, body }, raw);
    expect(pageCount(pdf)).toBeGreaterThan(1);
    expect(mediaBoxes(pdf).every((b) => b === A4)).toBe(true);
  });

  it('renders without a body', async () => {
    const pdf = await renderResultDocument({ ...result, body: undefined });
    expect(pageCount(pdf)).toBe(1);
  });
});
