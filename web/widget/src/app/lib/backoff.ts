// Reconnect delays: the first retry is fast (a blip, a server restart),
// then exponential with jitter so that a crowd of chat boxes does not come
// back at the same instant, capped at 10 s.

export const FIRST_MIN = 100;
export const FIRST_MAX = 400;
export const CAP = 10_000;

/**
 * Delay before reconnect attempt number `attempt` (0 = first retry).
 * Attempt n ≥ 1 waits a random time in [d/2, d] with d = min(CAP, 500·2ⁿ).
 */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  if (attempt <= 0) return Math.round(FIRST_MIN + r * (FIRST_MAX - FIRST_MIN));
  const d = Math.min(CAP, 500 * 2 ** Math.min(attempt, 20));
  return Math.round(d / 2 + (r * d) / 2);
}
