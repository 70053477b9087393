// Friendly names for visitors who have not told theirs.
import type { Contact } from './types';

/** A stable 4-digit number from an id (FNV-1a), 1000–9999. */
export function idNumber(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 1000 + (h % 9000);
}

/** "Visitor 4821" from the contact id. `word` is the translated "Visitor". */
export function friendlyName(contactId: string, word = 'Visitor'): string {
  return `${word} ${idNumber(contactId || '?')}`;
}

export function displayName(contactId: string, contact: Contact | undefined, word = 'Visitor'): string {
  const n = contact?.name?.trim();
  return n ? n : friendlyName(contactId, word);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const a = parts[0]?.[0] ?? '';
  const b = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (a + b).toUpperCase();
}
