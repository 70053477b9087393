// Splits message text into plain-text and link segments. The chat renders
// each segment as a text node or an <a> built from it: message text is never
// parsed as HTML. Only http:, https: and mailto: links are made; anything
// else (javascript:, data:, …) stays text.

export type Segment = { type: 'text'; text: string } | { type: 'link'; text: string; href: string };

const CANDIDATE =
  /\b(?:https?:\/\/|mailto:|www\.)[^\s<>"'`]+|[\w.%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b/gi;

const ALLOWED = new Set(['http:', 'https:', 'mailto:']);

/** Cuts punctuation that ends a sentence rather than the link. */
function trimEnd(s: string): string {
  for (;;) {
    const last = s[s.length - 1];
    if (!last) return s;
    if ('.,;:!?*'.includes(last)) {
      s = s.slice(0, -1);
      continue;
    }
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    const open = pairs[last];
    if (open && s.split(open).length < s.split(last).length) {
      s = s.slice(0, -1);
      continue;
    }
    return s;
  }
}

/** The safe href for a candidate, or null when it must stay text. */
export function safeHref(raw: string): string | null {
  let href = raw;
  if (/^www\./i.test(href)) href = 'https://' + href;
  else if (!/^(https?|mailto):/i.test(href)) href = 'mailto:' + href;
  try {
    const u = new URL(href);
    if (!ALLOWED.has(u.protocol)) return null;
    if (u.protocol !== 'mailto:' && !u.hostname) return null;
    return href;
  } catch {
    return null;
  }
}

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = out[out.length - 1];
    if (prev && prev.type === 'text') prev.text += t;
    else out.push({ type: 'text', text: t });
  };
  for (const m of text.matchAll(CANDIDATE)) {
    const start = m.index ?? 0;
    const word = trimEnd(m[0]);
    const href = word ? safeHref(word) : null;
    if (!href) continue;
    push(text.slice(at, start));
    out.push({ type: 'link', text: word, href });
    at = start + word.length;
  }
  push(text.slice(at));
  return out;
}
