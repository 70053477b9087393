import { describe, expect, it } from 'vitest';
import { displayName, friendlyName, idNumber, initials } from '../src/lib/names';

describe('friendly names', () => {
  it('are stable 4-digit numbers from the contact id', () => {
    const id = '0192b7c4-5e1a-7c3e-9a41-3f2d6b8e1c07';
    expect(friendlyName(id)).toBe(friendlyName(id));
    expect(friendlyName(id)).toMatch(/^Visitor \d{4}$/);
    expect(friendlyName(id, 'Látogató')).toMatch(/^Látogató \d{4}$/);
    expect(idNumber(id)).toBeGreaterThanOrEqual(1000);
    expect(idNumber(id)).toBeLessThanOrEqual(9999);
  });
  it('differ between ids', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(idNumber(`0192b7c4-5e1a-7c3e-9a41-3f2d6b8e1c${i}`));
    expect(seen.size).toBeGreaterThan(40);
  });
  it('prefer the contact name', () => {
    expect(displayName('x', { name: ' Maria ' } as never)).toBe('Maria');
    expect(displayName('x', { name: '' } as never)).toBe(friendlyName('x'));
    expect(displayName('x', undefined)).toBe(friendlyName('x'));
  });
  it('initials', () => {
    expect(initials('Maria Rossi')).toBe('MR');
    expect(initials('ann')).toBe('A');
    expect(initials('')).toBe('?');
  });
});
