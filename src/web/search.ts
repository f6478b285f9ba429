import type { ProcedureView } from '../procedures/dto';

/**
 * Vietnamese search without diacritics: both the query and the names are lower-cased, stripped of their
 * combining marks (NFD) and `đ` becomes `d`, so `dang ky ho kinh doanh` finds "Đăng ký thành lập hộ kinh doanh".
 */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}.]+/gu, ' ')
    .trim();
}

export interface CatalogFilter {
  q?: string;
  agency?: string;
  level?: 'full' | 'partial';
  fee?: 'exempt' | 'paid';
}

/** Every word of the query appears in the name or the code (in any order); then the filters. */
export function searchCatalog(procedures: ProcedureView[], f: CatalogFilter): ProcedureView[] {
  const words = fold(f.q ?? '')
    .split(' ')
    .filter(Boolean);
  return procedures.filter((p) => {
    if (f.agency && p.agencyCode !== f.agency) return false;
    if (f.level && p.level !== f.level) return false;
    if (f.fee === 'exempt' && p.totalFee > 0) return false;
    if (f.fee === 'paid' && p.totalFee === 0) return false;
    if (!words.length) return true;
    const haystack = ` ${fold(p.name)} ${fold(p.code)} `;
    return words.every((w) => haystack.includes(w));
  });
}
