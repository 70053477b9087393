// client_ids for the messages a visitor sends: UUID version 7 (RFC 9562),
// which begins with the time in milliseconds, then 74 random bits. Parley
// keeps client_ids in an index keyed by the client_id first, so ids that
// grow with time are written in one place of it instead of anywhere
// (docs/api.md). getRandomValues works everywhere, crypto.randomUUID only in
// secure contexts (a Parley on plain http in a LAN has none).
export function uuid(now: number = Date.now()): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  let t = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
