// The chat box's accent colour: the account's widget.color or
// parley('theme:color', …). Text on it must stay readable (WCAG AA 4.5:1).

export const HEX = /^#[0-9a-f]{6}$/i;

export function isColor(v: unknown): v is string {
  return typeof v === 'string' && HEX.test(v);
}

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: [number, number, number]): string {
  return '#' + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

export function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

export const INK_DARK = '#111827';

/**
 * The background and text colours for the accent: white text when it reads
 * well; else the accent darkened a little (at most 35 %) until white text
 * reads well; else (light colours) dark text on the accent as given.
 */
export function accent(color: string): { bg: string; ink: string } {
  if (!isColor(color)) color = '#16a34a';
  if (contrast(color, '#ffffff') >= 4.5) return { bg: color, ink: '#ffffff' };
  const c = rgb(color);
  for (let k = 0.95; k >= 0.65; k -= 0.05) {
    const d = toHex([c[0] * k, c[1] * k, c[2] * k]);
    if (contrast(d, '#ffffff') >= 4.5) return { bg: d, ink: '#ffffff' };
  }
  return { bg: color, ink: INK_DARK };
}

/** Icon colour on the exact brand colour (icons need 3:1). */
export function iconInk(color: string): string {
  return isColor(color) && contrast(color, '#ffffff') < 3 ? INK_DARK : '#ffffff';
}

/** A focus-ring colour from the brand that stands out on white (3:1). */
export function ringColor(color: string): string {
  if (!isColor(color)) return '#2563eb';
  const c = rgb(color);
  for (let k = 1; k >= 0.3; k -= 0.1) {
    const d = toHex([c[0] * k, c[1] * k, c[2] * k]);
    if (contrast(d, '#ffffff') >= 3) return d;
  }
  return INK_DARK;
}
