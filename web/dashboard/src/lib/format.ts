// Formatting for the visitor card and the visitors page: money, dates,
// durations, places and software. Pure functions of their inputs and the
// language, so they are tested without a browser.
import type { Location, NameVersion } from './types';

/**
 * An amount in a currency ("€1,234.50", "1 234,50 Ft"); without a valid ISO
 * 4217 code, the number and the code as given. The API sends numbers; a
 * numeric string (as shops may send them) is read too.
 */
export function formatMoney(value: number | string | null | undefined, currency: string, lang: string): string {
  const amount = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return '';
  const code = currency.trim().toUpperCase();
  if (/^[A-Z]{3}$/.test(code)) {
    try {
      return new Intl.NumberFormat(lang, { style: 'currency', currency: code }).format(amount);
    } catch {
      /* not a currency Intl knows: fall through to the plain number */
    }
  }
  const n = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(amount);
  return code ? `${n} ${code}` : n;
}

export function formatNumber(n: number | null | undefined, lang: string): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '' : new Intl.NumberFormat(lang).format(n);
}

/**
 * A calendar date ("Mar 1, 2024"). Shops send dates like customer_since as
 * midnight UTC; those are shown in UTC so that they do not turn into the day
 * before west of Greenwich.
 */
export function formatDate(iso: string | null | undefined, lang: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const midnightUTC = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0;
  return d.toLocaleDateString(lang, { year: 'numeric', month: 'short', day: 'numeric', ...(midnightUTC ? { timeZone: 'UTC' } : {}) });
}

/** A date with the time of day ("Mar 1, 14:05"; the year only when it is not this one), for visits. */
export function formatDateTime(iso: string | null | undefined, lang: string, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const year = d.getFullYear() !== now.getFullYear() ? { year: 'numeric' as const } : {};
  return d.toLocaleString(lang, { ...year, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Time since `sinceIso` as a clock: "0:45", "12:05", "1:02:05" (no words, so no translation). */
export function elapsed(sinceIso: string, now: number): string {
  const start = new Date(sinceIso).getTime();
  if (Number.isNaN(start)) return '';
  const s = Math.max(0, Math.floor((now - start) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A country code as its flag: two regional-indicator letters ("" when it is not a code). */
export function flag(code: string | undefined): string {
  if (!code || !/^[A-Za-z]{2}$/.test(code)) return '';
  return String.fromCodePoint(...[...code.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

/** The country's name in the agent's language, from its code ("HU" → "Hungary" / "Magyarország"). */
export function countryName(code: string | undefined, lang: string): string {
  if (!code || !/^[A-Za-z]{2}$/.test(code)) return '';
  try {
    return new Intl.DisplayNames([lang], { type: 'region' }).of(code.toUpperCase()) ?? code.toUpperCase();
  } catch {
    return code.toUpperCase();
  }
}

/** "Budapest, Hungary": the server's country name, or one from the code when the server has none. */
export function placeText(l: Location | null | undefined, lang: string): string {
  if (!l) return '';
  const country = l.country || countryName(l.country_code, lang);
  return [l.city, l.region !== l.city ? l.region : '', country].filter(Boolean).join(', ');
}

function nameVersion(s: NameVersion | null | undefined): string {
  return s?.name ? `${s.name} ${s.version ?? ''}`.trim() : '';
}

/** "Chrome 120 · Windows 10 · Desktop"; `device` is the already translated device word (or ""). */
export function softwareText(browser: NameVersion | null | undefined, os: NameVersion | null | undefined, device = ''): string {
  return [nameVersion(browser), nameVersion(os), device].filter(Boolean).join(' · ');
}

const DEVICES = new Set(['desktop', 'mobile', 'tablet', 'bot']);

/** The device word in the agent's language; a kind this version does not know is shown as sent. */
export function deviceLabel(device: string | undefined, tr: (key: string) => string): string {
  if (!device) return '';
  return DEVICES.has(device) ? tr(`device.${device}`) : device;
}
