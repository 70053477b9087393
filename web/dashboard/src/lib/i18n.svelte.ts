// Translation: one table per language (i18n-en.ts, i18n-hu.ts).
import { en, type Key } from './i18n-en';
import { hu } from './i18n-hu';

export type Lang = 'en' | 'hu';
export const tables: Record<Lang, Record<Key, string>> = { en, hu };
export type { Key };

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem('parley.lang');
    if (saved === 'en' || saved === 'hu') return saved;
  } catch {
    /* storage blocked */
  }
  return typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith('hu') ? 'hu' : 'en';
}

export const i18n = $state<{ lang: Lang }>({ lang: initialLang() });

export function setLang(l: Lang) {
  i18n.lang = l;
  try {
    localStorage.setItem('parley.lang', l);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l;
}

export function format(s: string, params?: Record<string, string | number>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function t(key: Key | string, params?: Record<string, string | number>): string {
  const table = tables[i18n.lang];
  const s = (table as Record<string, string>)[key] ?? (en as Record<string, string>)[key] ?? key;
  return format(s, params);
}
