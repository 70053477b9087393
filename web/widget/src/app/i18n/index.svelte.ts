// The chat box's language: from parley('language', …), else the browser's.
// Components call t(key, values); reading the current language inside t()
// makes every string update when the language changes.
import { en, type Key, type Strings } from './en';
import { hu } from './hu';

export const tables: Record<string, Strings> = { en, hu };
export type Lang = keyof typeof tables;

/** The best supported language for a list of BCP 47 tags, English if none. */
export function pickLanguage(tags: readonly string[]): string {
  for (const tag of tags) {
    const base = String(tag || '').toLowerCase().split(/[-_]/)[0] ?? '';
    if (base in tables) return base;
  }
  return 'en';
}

function browserTags(): string[] {
  if (typeof navigator === 'undefined') return [];
  return [...(navigator.languages ?? []), navigator.language].filter(Boolean);
}

const state = $state({ lang: pickLanguage(browserTags()) });

export function language(): string {
  return state.lang;
}

/** Sets the language; unknown languages are ignored. Returns whether it applied. */
export function setLanguage(tag: string): boolean {
  const base = String(tag).toLowerCase().split(/[-_]/)[0] ?? '';
  if (!(base in tables)) return false;
  state.lang = base;
  return true;
}

export function format(s: string, values?: Record<string, string | number>): string {
  if (!values) return s;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}

export function t(key: Key, values?: Record<string, string | number>): string {
  const table = tables[state.lang] ?? en;
  return format(table[key] ?? en[key], values);
}
