/** A server message shown as a sentence: capital first letter, final stop. */
export function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const c = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : c + '.';
}
