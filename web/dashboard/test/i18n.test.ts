import { describe, expect, it } from 'vitest';
import { en } from '../src/lib/i18n-en';
import { hu } from '../src/lib/i18n-hu';
import { format } from '../src/lib/i18n.svelte';

describe('translations', () => {
  it('every table has the same keys', () => {
    expect(Object.keys(hu).sort()).toEqual(Object.keys(en).sort());
  });
  it('no empty strings, same placeholders', () => {
    for (const [k, v] of Object.entries(en)) {
      const h = (hu as Record<string, string>)[k] ?? '';
      expect(h.length, k).toBeGreaterThan(0);
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(h), k).toEqual(ph(v));
    }
  });
  it('formats placeholders', () => {
    expect(format('{a} and {b}', { a: 1, b: 'x' })).toBe('1 and x');
    expect(format('{a}', {})).toBe('{a}');
  });
});
