// Polling for a condition, with a bounded time.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls fn until it returns a truthy value (returned) or the time runs out
 * (throws with `message` and the last value or error seen).
 */
export async function waitFor(fn, { timeout = 5000, interval = 50, message = 'condition not met' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr ? `last error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`${message} (within ${timeout} ms; ${detail})`);
    }
    await sleep(interval);
  }
}
