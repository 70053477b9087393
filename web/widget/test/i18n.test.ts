import { describe, expect, it } from 'vitest';
import { en } from '../src/app/i18n/en';
import { hu } from '../src/app/i18n/hu';
import { format, language, pickLanguage, setLanguage, t, tables } from '../src/app/i18n/index.svelte';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it('every language has exactly the English keys, none empty', () => {
    const keys = Object.keys(en).sort();
    for (const [lang, table] of Object.entries(tables)) {
      expect(Object.keys(table).sort(), lang).toEqual(keys);
      for (const [k, v] of Object.entries(table)) expect(v.trim(), `${lang}.${k}`).not.toBe('');
    }
  });

  it('every translation uses the same placeholders as English', () => {
    for (const [k, v] of Object.entries(en)) {
      expect(placeholders(hu[k as keyof typeof hu]), `hu.${k}`).toEqual(placeholders(v));
    }
  });

  it('has the contract words for the status', () => {
    expect(en.online).toBe('Online');
    expect(en.offline).toBe('Offline');
    expect(hu.online).toBe('Elérhető');
    expect(hu.offline).toBe('Nem elérhető');
    expect(en.openChat).toBe('Open chat');
    expect(en.closeChat).toBe('Close chat');
    expect(en.reconnecting).toBe('Reconnecting…');
  });

  it('picks the browser language when supported, else English', () => {
    expect(pickLanguage(['hu-HU', 'en'])).toBe('hu');
    expect(pickLanguage(['de-DE', 'hu'])).toBe('hu');
    expect(pickLanguage(['de-DE', 'fr'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('switches language with setLanguage and fills placeholders', () => {
    expect(setLanguage('hu')).toBe(true);
    expect(language()).toBe('hu');
    expect(t('online')).toBe('Elérhető');
    expect(t('chatWith', { team: 'Bolt' })).toBe('Csevegés: Bolt');
    expect(setLanguage('xx')).toBe(false);
    expect(language()).toBe('hu');
    expect(setLanguage('en-GB')).toBe(true);
    expect(t('chatWith', { team: 'Shop' })).toBe('Chat with Shop');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});
