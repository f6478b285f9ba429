import { formatVnDateTime, vnDateParts } from '../../pdf/datetime';
import { formatVnd } from '../../pdf/money';
import { en } from './en';
import { vi, type MessageKey } from './vi';

export type { MessageKey } from './vi';
export type Lang = 'vi' | 'en';
export const LANGS: readonly Lang[] = ['vi', 'en'];

const catalogues: Record<Lang, Record<MessageKey, string>> = { vi, en };

export const isLang = (v: unknown): v is Lang => v === 'vi' || v === 'en';

/** The texts of one language: `t(key, {name: value})` fills `{name}` in (plain text; the templates escape it). */
export interface Texts {
  lang: Lang;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  /** dd/mm/yyyy in Vietnam time. */
  date(d: Date | string): string;
  /** dd/mm/yyyy hh:mm in Vietnam time. */
  dateTime(d: Date | string): string;
  /** `1.000.000 ₫`. */
  money(amount: number): string;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The texts of each language, built once (they never change). */
const TEXTS: Record<Lang, Texts> = { vi: build('vi'), en: build('en') };

export function texts(lang: Lang): Texts {
  return TEXTS[lang];
}

function build(lang: Lang): Texts {
  const catalogue = catalogues[lang];
  return Object.freeze<Texts>({
    lang,
    t: (key, params) =>
      params ? catalogue[key].replace(/\{(\w+)\}/g, (m, name: string) => String(params[name] ?? m)) : catalogue[key],
    date: (d) => {
      const p = vnDateParts(new Date(d));
      return `${pad2(p.day)}/${pad2(p.month)}/${p.year}`;
    },
    dateTime: (d) => formatVnDateTime(new Date(d)),
    money: (amount) => formatVnd(amount),
  });
}

/**
 * The language of a request: `?lang=` first (the switch), then the cookie (remembered), then Accept-Language
 * (the first visit), else Vietnamese.
 */
export function negotiateLang(query: unknown, cookie: unknown, acceptLanguage: unknown): Lang {
  if (isLang(query)) return query;
  if (isLang(cookie)) return cookie;
  if (typeof acceptLanguage === 'string') {
    const ranked = acceptLanguage
      .split(',')
      .map((part, i) => {
        const [tag, ...params] = part.trim().toLowerCase().split(';');
        const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
        return { lang: tag.split('-')[0], q: q === undefined ? 1 : Number(q), i };
      })
      .filter((x) => x.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i);
    const first = ranked.find((x) => isLang(x.lang));
    if (first) return first.lang as Lang;
  }
  return 'vi';
}
