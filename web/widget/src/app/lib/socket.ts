// One WebSocket to /widget/v1/stream that comes back by itself: after a
// drop it reconnects with backoff and jitter (see backoff.ts). The URL is
// asked for on every attempt so that it carries the latest after_seq.
import { backoff } from './backoff';
import type { ServerFrame } from './types';

export type LinkState = 'connecting' | 'open' | 'down';

export interface LinkOptions {
  url: () => string;
  onOpen: () => void;
  onFrame: (f: ServerFrame) => void;
  /** Called on every change of state. */
  onState?: (s: LinkState) => void;
  WebSocket?: typeof WebSocket;
  random?: () => number;
  /** An attempt that has not opened after this long is given up (ms). */
  openTimeout?: number;
  /** A connection must stay up this long before the backoff starts over (ms). */
  stableAfter?: number;
}

export class Link {
  state: LinkState = 'down';
  /** Reconnect attempts since the last stable connection. */
  attempt = 0;
  /** Consecutive attempts that never opened. */
  failures = 0;
  private ws: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(private o: LinkOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.set('down');
  }

  /** Sends a frame; false when the socket is not open. */
  send(frame: unknown): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Reconnects now instead of waiting for the backoff (network back, user action). */
  kick(): void {
    if (this.running && this.state === 'down') {
      clearTimeout(this.timer);
      this.connect();
    }
  }

  /** Drops the current socket (it looks dead) and reconnects. */
  restart(): void {
    this.ws?.close();
  }

  private set(s: LinkState) {
    if (this.state === s) return;
    this.state = s;
    this.o.onState?.(s);
  }

  private connect() {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.set('connecting');
    const WS = this.o.WebSocket ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new WS(this.o.url());
    } catch {
      this.failures++;
      this.down();
      return;
    }
    this.ws = ws;
    let openedAt = 0;
    const giveUp = setTimeout(() => ws.close(), this.o.openTimeout ?? 10_000);
    ws.onopen = () => {
      clearTimeout(giveUp);
      if (this.ws !== ws) return;
      openedAt = Date.now();
      this.failures = 0;
      this.set('open');
      this.o.onOpen();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (this.ws !== ws || typeof e.data !== 'string') return;
      let f: unknown;
      try {
        f = JSON.parse(e.data);
      } catch {
        return;
      }
      if (f && typeof (f as { type?: unknown }).type === 'string') this.o.onFrame(f as ServerFrame);
    };
    ws.onerror = () => {
      // a close event follows
    };
    ws.onclose = () => {
      clearTimeout(giveUp);
      if (this.ws !== ws) return;
      this.ws = null;
      if (!openedAt) this.failures++;
      else if (Date.now() - openedAt >= (this.o.stableAfter ?? 5_000)) this.attempt = 0;
      this.down();
    };
  }

  private down() {
    this.set('down');
    if (!this.running) return;
    const delay = backoff(this.attempt++, this.o.random);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
