// The agent stream: one WebSocket to /api/v1/stream, resumed from the highest
// seq seen, reconnected with exponential backoff and jitter. Frames with a seq
// at or below the highest one seen are dropped (replays overlap on purpose).
import type { Frame } from './types';

export type StreamState = 'connecting' | 'open' | 'down';

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface StreamOptions {
  url: (afterSeq: number | null) => string;
  onFrame: (f: Frame) => void;
  /** Called on `reset`: reload over HTTP and return the highest seq loaded. */
  onReset: () => Promise<number>;
  onState?: (s: StreamState) => void;
  /** Called when the socket closed with 1008 (session revoked). */
  onPolicyClose?: () => void;
  socket?: (url: string) => SocketLike;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** Delay before reconnect attempt n (0-based): exponential, capped, with jitter in [50%, 100%]. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export function streamURL(loc: { protocol: string; host: string }, afterSeq: number | null): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = afterSeq === null ? '' : `?after_seq=${afterSeq}`;
  return `${proto}//${loc.host}/api/v1/stream${q}`;
}

export class Stream {
  lastSeq = 0;
  state: StreamState = 'connecting';
  private ws: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private resetting = false;
  /** After a reset and a reload, a second reset means: connect live only. */
  private resetStreak = 0;
  private o: Required<Omit<StreamOptions, 'onPolicyClose' | 'onState'>> & Pick<StreamOptions, 'onPolicyClose' | 'onState'>;

  constructor(opts: StreamOptions) {
    this.o = {
      socket: (u) => new WebSocket(u) as unknown as SocketLike,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      ...opts,
    };
  }

  start(fromSeq: number): void {
    this.lastSeq = Math.max(this.lastSeq, fromSeq);
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000, 'bye');
    }
  }

  /** Sends a client frame if the socket is open; returns whether it was sent. */
  send(frame: unknown): boolean {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Note a seq learned elsewhere (an HTTP reload) so replays start after it. */
  noteSeq(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  private setState(s: StreamState) {
    if (this.state === s) return;
    this.state = s;
    this.o.onState?.(s);
  }

  private connect() {
    if (this.stopped) return;
    const after = this.resetStreak >= 2 ? null : this.lastSeq;
    let ws: SocketLike;
    try {
      ws = this.o.socket(this.o.url(after));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let f: Frame;
      try {
        f = JSON.parse(ev.data) as Frame;
      } catch {
        return;
      }
      this.handle(f);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === 1008) this.o.onPolicyClose?.();
      if (this.resetting) return; // the reset handler reconnects
      this.scheduleReconnect();
    };
  }

  private handle(f: Frame) {
    if (f.type === 'reset') {
      this.resetStreak++;
      this.resetting = true;
      this.setState('connecting');
      void this.o
        .onReset()
        .then(
          (seq) => {
            this.lastSeq = seq;
          },
          () => {},
        )
        .finally(() => {
          this.resetting = false;
          const ws = this.ws;
          this.ws = null;
          if (ws) {
            ws.onclose = null;
            ws.close(1000, 'reset');
          }
          if (!this.stopped) this.connect();
        });
      return;
    }
    if ('seq' in f && typeof f.seq === 'number') {
      if (f.seq <= this.lastSeq) return; // replayed or doubled
      this.lastSeq = f.seq;
      this.resetStreak = 0;
    }
    this.o.onFrame(f);
  }

  private scheduleReconnect() {
    this.setState('down');
    const d = backoffDelay(this.attempt++, this.o.random);
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      this.connect();
    }, d);
  }
}
