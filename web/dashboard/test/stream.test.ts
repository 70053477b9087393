import { describe, expect, it } from 'vitest';
import { backoffDelay, BACKOFF_MAX_MS, Stream, streamURL, type SocketLike } from '../src/lib/stream';
import type { Frame } from '../src/lib/types';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readyState = 0;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(d: string) { this.sent.push(d); }
  close() { this.closed = true; }
  open() { this.readyState = 1; this.onopen?.({}); }
  frame(f: unknown) { this.onmessage?.({ data: JSON.stringify(f) }); }
  drop(code = 1006) { this.readyState = 3; this.onclose?.({ code, reason: '' }); }
}

function harness(onReset: () => Promise<number> = async () => 0) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const frames: Frame[] = [];
  const states: string[] = [];
  const s = new Stream({
    url: (after) => streamURL({ protocol: 'http:', host: 'x' }, after),
    onFrame: (f) => frames.push(f),
    onReset,
    onState: (st) => states.push(st),
    socket: (u) => { const k = new FakeSocket(u); sockets.push(k); return k; },
    random: () => 0.5,
    setTimer: (fn, ms) => { timers.push({ fn, ms }); return timers.length; },
    clearTimer: () => {},
  });
  return { s, sockets, timers, frames, states };
}

const msgFrame = (seq: number, id = `m${seq}`) => ({ type: 'message.created', seq, data: { id, seq } });

describe('backoff', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    for (let i = 0; i < 40; i++) expect(backoffDelay(i, Math.random)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    expect(backoffDelay(30, () => 0)).toBe(BACKOFF_MAX_MS / 2);
  });
});

describe('Stream', () => {
  it('builds ws/wss URLs with after_seq', () => {
    expect(streamURL({ protocol: 'https:', host: 'h' }, 5)).toBe('wss://h/api/v1/stream?after_seq=5');
    expect(streamURL({ protocol: 'http:', host: 'h' }, null)).toBe('ws://h/api/v1/stream');
  });

  it('resumes from the highest seq seen after a drop, and drops doubled frames', () => {
    const h = harness();
    h.s.start(10);
    expect(h.sockets[0]?.url).toContain('after_seq=10');
    h.sockets[0]!.open();
    h.sockets[0]!.frame(msgFrame(11));
    h.sockets[0]!.frame(msgFrame(12));
    h.sockets[0]!.frame(msgFrame(12));
    h.sockets[0]!.frame(msgFrame(9));
    h.sockets[0]!.drop();
    expect(h.states).toEqual(['open', 'down']);
    expect(h.timers).toHaveLength(1);
    h.timers[0]!.fn();
    expect(h.sockets[1]?.url).toContain('after_seq=12');
    h.sockets[1]!.open();
    h.sockets[1]!.frame(msgFrame(12)); // replay overlap
    h.sockets[1]!.frame(msgFrame(13));
    expect(h.frames.map((f) => ('seq' in f ? f.seq : 0))).toEqual([11, 12, 13]);
    expect(h.states.at(-1)).toBe('open');
  });

  it('backs off longer on each failed attempt and resets after success', () => {
    const h = harness();
    h.s.start(0);
    h.sockets[0]!.drop();
    h.timers[0]!.fn();
    h.sockets[1]!.drop();
    h.timers[1]!.fn();
    h.sockets[2]!.drop();
    expect(h.timers.map((t) => t.ms)).toEqual([375, 750, 1500]);
    h.timers[2]!.fn();
    h.sockets[3]!.open();
    h.sockets[3]!.drop();
    expect(h.timers[3]!.ms).toBe(375);
  });

  it('passes ephemeral frames through without touching the seq', () => {
    const h = harness();
    h.s.start(5);
    h.sockets[0]!.open();
    h.sockets[0]!.frame({ type: 'typing', data: { conversation_id: 'c', sender_type: 'visitor', on: true } });
    expect(h.frames).toHaveLength(1);
    expect(h.s.lastSeq).toBe(5);
  });

  it('on reset reloads, then reconnects from the reloaded seq; a second reset connects live', async () => {
    let reloads = 0;
    const h = harness(async () => { reloads++; return 50; });
    h.s.start(3);
    h.sockets[0]!.open();
    h.sockets[0]!.frame({ type: 'reset' });
    await new Promise((r) => setTimeout(r, 0));
    expect(reloads).toBe(1);
    expect(h.sockets[1]?.url).toContain('after_seq=50');
    h.sockets[1]!.open();
    h.sockets[1]!.frame({ type: 'reset' });
    await new Promise((r) => setTimeout(r, 0));
    expect(h.sockets[2]?.url).toBe('ws://x/api/v1/stream');
  });

  it('sends client frames only while open', () => {
    const h = harness();
    h.s.start(0);
    expect(h.s.send({ type: 'typing' })).toBe(false);
    h.sockets[0]!.open();
    expect(h.s.send({ type: 'typing' })).toBe(true);
    expect(h.sockets[0]!.sent).toHaveLength(1);
  });
});
