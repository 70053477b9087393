import { describe, expect, it } from 'vitest';
import { countryName, deviceLabel, elapsed, flag, formatDate, formatMoney, placeText, softwareText } from '../src/lib/format';

// Intl puts no-break spaces in some languages; compare with plain ones.
const plain = (s: string) => s.replace(/\s/g, ' ');

describe('money', () => {
  it('formats a total in the shop currency for the agent language', () => {
    expect(formatMoney(1234.5, 'EUR', 'en')).toBe('€1,234.50');
    expect(plain(formatMoney(12345, 'HUF', 'hu'))).toBe('12 345 Ft');
    expect(formatMoney(10, 'usd', 'en')).toBe('$10.00');
  });

  it('shows the number and the code as given when the code is not ISO 4217', () => {
    expect(formatMoney(99.5, 'points', 'en')).toBe('99.5 POINTS');
    expect(formatMoney(99.5, '', 'en')).toBe('99.5');
  });

  it('shows nothing for a missing amount', () => {
    expect(formatMoney(null, 'EUR', 'en')).toBe('');
    expect(formatMoney(Number.NaN, 'EUR', 'en')).toBe('');
    expect(formatMoney('', 'EUR', 'en')).toBe('');
  });

  it('reads an amount sent as a numeric string', () => {
    expect(formatMoney('1249.90', 'EUR', 'en')).toBe('€1,249.90');
    expect(formatMoney('lots', 'EUR', 'en')).toBe('');
  });
});

describe('dates', () => {
  it('keeps a midnight-UTC date on its day in every time zone', () => {
    expect(formatDate('2024-03-01T00:00:00Z', 'en')).toBe('Mar 1, 2024');
    expect(plain(formatDate('2024-03-01T00:00:00Z', 'hu'))).toBe('2024. márc. 1.');
  });

  it('shows nothing for a missing or broken date', () => {
    expect(formatDate(null, 'en')).toBe('');
    expect(formatDate('yesterday', 'en')).toBe('');
  });

  it('counts time on site as a clock', () => {
    const since = '2025-01-01T10:00:00Z';
    const at = (s: number) => Date.parse(since) + s * 1000;
    expect(elapsed(since, at(45))).toBe('0:45');
    expect(elapsed(since, at(12 * 60 + 5))).toBe('12:05');
    expect(elapsed(since, at(3600 + 2 * 60 + 5))).toBe('1:02:05');
    expect(elapsed(since, at(-5))).toBe('0:00'); // clocks a little apart
  });
});

describe('places and software', () => {
  it('draws a flag from a country code only', () => {
    expect(flag('hu')).toBe('🇭🇺');
    expect(flag('')).toBe('');
    expect(flag('XXX')).toBe('');
  });

  it("names the country in the agent's language when the server sent only the code", () => {
    expect(countryName('DE', 'en')).toBe('Germany');
    expect(countryName('HU', 'hu')).toBe('Magyarország');
    expect(placeText({ city: 'Berlin', region: 'Berlin', country: '', country_code: 'DE' }, 'en')).toBe('Berlin, Germany');
    expect(placeText({ city: 'Szeged', region: 'Csongrád', country: 'Hungary', country_code: 'HU' }, 'en')).toBe('Szeged, Csongrád, Hungary');
    expect(placeText({ city: '', region: '', country: '', country_code: '' }, 'en')).toBe('');
  });

  it('joins browser, system and device with versions', () => {
    expect(softwareText({ name: 'Firefox', version: '128' }, { name: 'Windows', version: '10' }, 'Desktop')).toBe('Firefox 128 · Windows 10 · Desktop');
    expect(softwareText({ name: 'Safari', version: '' }, null)).toBe('Safari');
    expect(softwareText(null, null)).toBe('');
  });
});

describe('devices', () => {
  it('translates the known kinds and shows others as sent', () => {
    const tr = (k: string) => `[${k}]`;
    expect(deviceLabel('mobile', tr)).toBe('[device.mobile]');
    expect(deviceLabel('console', tr)).toBe('console');
    expect(deviceLabel('', tr)).toBe('');
  });
});
