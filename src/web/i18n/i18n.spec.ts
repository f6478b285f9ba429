import { negotiateLang, texts } from './index';

describe('page texts', () => {
  it('picks ?lang=, then the cookie, then Accept-Language, else Vietnamese', () => {
    expect(negotiateLang('en', 'vi', 'vi')).toBe('en');
    expect(negotiateLang(undefined, 'en', 'vi')).toBe('en');
    expect(negotiateLang('fr', undefined, 'fr-FR,en;q=0.8,vi;q=0.5')).toBe('en');
    expect(negotiateLang(undefined, undefined, 'en-GB;q=0.2, vi-VN')).toBe('vi');
    expect(negotiateLang(undefined, undefined, 'de')).toBe('vi');
    expect(negotiateLang(undefined, undefined, undefined)).toBe('vi');
  });

  it('formats dates in Vietnam time and amounts in đồng, fills parameters in', () => {
    const vi = texts('vi');
    expect(vi.date(new Date('2026-01-14T18:30:00Z'))).toBe('15/01/2026');
    expect(vi.money(1000000)).toBe('1.000.000 ₫');
    expect(texts('en').t('procedure.days.value', { days: 3 })).toBe('3 working days');
    expect(vi.t('error.server.body', { id: 'abc' })).toContain('abc');
  });
});
