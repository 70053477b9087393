import { describe, expect, it } from 'vitest';
import { backoff, CAP, FIRST_MAX, FIRST_MIN } from '../src/app/lib/backoff';

describe('backoff', () => {
  it('retries fast the first time', () => {
    expect(backoff(0, () => 0)).toBe(FIRST_MIN);
    expect(backoff(0, () => 1)).toBe(FIRST_MAX);
    expect(FIRST_MAX).toBeLessThanOrEqual(500);
  });

  it('grows exponentially with jitter in [d/2, d]', () => {
    for (let n = 1; n <= 6; n++) {
      const d = Math.min(CAP, 500 * 2 ** n);
      expect(backoff(n, () => 0)).toBe(d / 2);
      expect(backoff(n, () => 1)).toBe(d);
    }
    expect(backoff(2, () => 0.5)).toBeGreaterThan(backoff(1, () => 0.5));
  });

  it('never waits more than the cap (10 s), whatever the attempt', () => {
    expect(CAP).toBe(10_000);
    for (const n of [7, 10, 50, 1000, Infinity]) {
      for (const r of [0, 0.3, 0.999, 1]) {
        const d = backoff(n, () => r);
        expect(d).toBeLessThanOrEqual(CAP);
        expect(d).toBeGreaterThanOrEqual(CAP / 2);
      }
    }
  });

  it('spreads clients out: random delays stay within bounds and differ', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = backoff(3);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(20);
  });

  it('clamps a bad random source', () => {
    expect(backoff(1, () => -5)).toBe(500);
    expect(backoff(1, () => 7)).toBe(1000);
  });
});
