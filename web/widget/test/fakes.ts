import { vi } from 'vitest';
import type { Api } from '../src/app/lib/api';
import type { Message, Session } from '../src/app/lib/types';

/** A WebSocket the test drives: open(), frame(), drop(). */
export class FakeSocket {
  static all: FakeSocket[] = [];
  static last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  /** The connection is lost (server gone). */
  drop() {
    this.close();
  }
  afterSeq(): string | null {
    return new URL(this.url).searchParams.get('after_seq');
  }
  sends() {
    return this.sent.filter((f) => f.type === 'message.send');
  }
}

export function session(over: Partial<Session> = {}): Session {
  return {
    visitor_token: 'tok',
    visitor_id: 'v1',
    contact_id: 'ct1',
    conversation: null,
    online: true,
    account_name: 'Corner Shop',
    widget: { color: '#16a34a', position: 'right', greeting: 'Hi!', offline_form: true, prechat: 'off', privacy_url: '', consent_required: false },
    ...over,
  };
}

export function fakeApi(history: Message[] = []) {
  const api = {
    history,
    session: vi.fn(async (_k: string, token: string) => session({ visitor_token: token || 'tok' })),
    messages: vi.fn(async (_t: string, after = 0) => api.history.filter((m) => m.seq > after)),
    send: vi.fn(async (_t: string, text: string, clientId: string): Promise<Message> => ({
      id: 'http-' + clientId,
      conversation_id: 'c1',
      seq: 999,
      kind: 'text',
      sender_type: 'visitor',
      sender_id: 'v1',
      text,
      client_id: clientId,
      created_at: new Date().toISOString(),
    })),
    identify: vi.fn(async () => ({})),
    streamURL: (token: string, after: number) => `ws://parley.test/widget/v1/stream?token=${token}` + (after > 0 ? `&after_seq=${after}` : ''),
  };
  return api satisfies Api;
}
