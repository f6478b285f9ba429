import type { ProcedureView } from '../procedures/dto';
import { fold, searchCatalog } from './search';

const p = (code: string, name: string, totalFee: number, level = 'full', agencyCode = 'A'): ProcedureView =>
  ({ code, name, totalFee, level, agencyCode }) as ProcedureView;

const catalog = [
  p('2.000720', 'Đăng ký thành lập hộ kinh doanh', 100000, 'full', '000.00.20.H56'),
  p('1.004884', 'Cấp bản sao Trích lục khai sinh', 0, 'full', '000.00.01.H56'),
  p('2.001417', 'Cấp Phiếu lý lịch tư pháp', 200000, 'partial', '000.00.12.H56'),
];

describe('catalog search', () => {
  it('folds diacritics and đ on both sides', () => {
    expect(fold('Đăng ký HỘ kinh doanh')).toBe('dang ky ho kinh doanh');
    expect(fold('Lý lịch tư pháp')).toBe('ly lich tu phap');
  });

  it('finds a procedure with or without diacritics, words in any order', () => {
    for (const q of ['dang ky ho kinh doanh', 'đăng ký hộ kinh doanh', 'KINH DOANH ho', '2.000720']) {
      expect(searchCatalog(catalog, { q }).map((x) => x.code)).toEqual(['2.000720']);
    }
    expect(searchCatalog(catalog, { q: 'ho kinh doanh xyz' })).toEqual([]);
  });

  it('filters by agency, level and fee', () => {
    expect(searchCatalog(catalog, { fee: 'exempt' }).map((x) => x.code)).toEqual(['1.004884']);
    expect(searchCatalog(catalog, { fee: 'paid' }).map((x) => x.code)).toEqual(['2.000720', '2.001417']);
    expect(searchCatalog(catalog, { level: 'partial' }).map((x) => x.code)).toEqual(['2.001417']);
    expect(searchCatalog(catalog, { agency: '000.00.01.H56', q: 'khai sinh' }).map((x) => x.code)).toEqual([
      '1.004884',
    ]);
  });
});
