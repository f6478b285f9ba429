import { csvField, toCsv } from './csv';

describe('csv (RFC 4180)', () => {
  it('leaves plain fields alone and writes null/undefined as empty', () => {
    expect(csvField('000.00.01.H56')).toBe('000.00.01.H56');
    expect(csvField(0.6667)).toBe('0.6667');
    expect(csvField(0)).toBe('0');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField('')).toBe('');
  });

  it('quotes fields with commas, quotes or line breaks and doubles inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(' spaced ')).toBe(' spaced ');
    expect(csvField('Bến Nghé')).toBe('Bến Nghé');
  });

  it('writes a header and one CRLF-terminated record per row in column order', () => {
    type R = { b: string | null; a: number | null };
    const csv = toCsv<R>(
      ['a', 'b'],
      [
        { b: 'x,y', a: 1 },
        { b: null, a: null },
      ],
    );
    expect(csv).toBe('a,b\r\n1,"x,y"\r\n,\r\n');
  });

  it('writes only the header when there are no rows', () => {
    expect(toCsv<{ a: number }>(['a'], [])).toBe('a\r\n');
  });
});
