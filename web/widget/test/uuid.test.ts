import { describe, expect, it } from 'vitest';
import { uuid } from '../src/app/lib/uuid';

const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid (client_ids)', () => {
  it('is a version 7 UUID that begins with the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 25, 10, 0, 0, 123);
    const id = uuid(at);
    expect(id).toMatch(v7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    expect(uuid()).toMatch(v7);
  });

  it('sorts as the ids were made, and never repeats', () => {
    const at = Date.UTC(2026, 10, 25);
    const ids = [0, 1, 2, 1000, 86_400_000, 400 * 86_400_000].map((d) => uuid(at + d));
    expect([...ids].sort()).toEqual(ids);
    const many = new Set(Array.from({ length: 1000 }, () => uuid(at)));
    expect(many.size).toBe(1000);
  });
});
