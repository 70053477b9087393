// Splits message text into plain-text and link parts. Only http, https and
// mailto links are made; everything is rendered as text by the component.
export type Part = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const RE = /\b(?:https?:\/\/[^\s<>"']+|mailto:[^\s<>"']+|[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,})/gi;

/** Returns a safe href, or null when the scheme is not http, https or mailto. */
export function safeHref(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:') return u.href;
  return null;
}

/** A link for a page or order URL from outside: only http and https (no mailto, never javascript: or data:). */
export function webHref(raw: string | null | undefined): string | null {
  const href = raw ? safeHref(raw) : null;
  return href && /^https?:/.test(href) ? href : null;
}

/** Where a link points, short: "google.com" for a referrer; the text itself when it is no URL. */
export function referrerHost(raw: string): string {
  try {
    return new URL(raw).host.replace(/^www\./, '') || raw;
  } catch {
    return raw;
  }
}

export function linkify(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(RE)) {
    let raw = m[0];
    // Trailing punctuation belongs to the sentence, not the link.
    const trail = /[.,;:!?)\]]+$/.exec(raw);
    if (trail) raw = raw.slice(0, raw.length - trail[0].length);
    const start = m.index ?? 0;
    const candidate = /^(https?:|mailto:)/i.test(raw) ? raw : `mailto:${raw}`;
    const href = safeHref(candidate);
    if (!href || raw.length === 0) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
