// The visitor's view of the conversation: messages the server has stored
// (by id) plus messages still on their way (by client_id). Every source —
// history over HTTP, the socket's message.created echo, an ack, the HTTP
// fallback's reply — goes through receive(), so a message shows once
// however many times and ways it arrives.
//
// Delivery states of the visitor's own messages:
//   sending   — kept locally (and in localStorage), not yet stored by the server;
//   sent      — the server stored it (ack frame or HTTP reply);
//   delivered — its message.created came back on the stream (or with history):
//               the server has published it to the team's dashboards.
import type { Message } from './types';

export type DeliveryState = 'sending' | 'sent' | 'delivered' | 'failed';
export type Source = 'ack' | 'http' | 'echo' | 'history';

export interface Pending {
  client_id: string;
  text: string;
  created_at: string;
  /** Why the server refused it, when it did (the message is not resent). */
  error?: string;
}

export interface Item {
  key: string;
  id?: string;
  kind: Message['kind'];
  sender: Message['sender_type'];
  senderName: string;
  senderId: string | null;
  text: string;
  clientId: string | null;
  state?: DeliveryState;
  error?: string;
  seq: number;
  createdAt: string;
  event?: Message['event'];
}

const RANK: Record<DeliveryState, number> = { failed: 0, sending: 1, sent: 2, delivered: 3 };

export class MessageBook {
  private byId = new Map<string, Message>();
  private idByClient = new Map<string, string>();
  private state = new Map<string, 'sent' | 'delivered'>();
  pending: Pending[] = [];

  constructor(pending: Pending[] = []) {
    const seen = new Set<string>();
    for (const p of pending) {
      if (p && typeof p.client_id === 'string' && typeof p.text === 'string' && !seen.has(p.client_id)) {
        seen.add(p.client_id);
        this.pending.push({ ...p });
      }
    }
  }

  /**
   * Takes a stored message from any source. Returns true when the message
   * is new to this book (not seen before by id, nor pending by client_id).
   */
  receive(m: Message, source: Source): boolean {
    if (!m || typeof m.id !== 'string' || m.kind === 'note') return false;
    const known = this.byId.has(m.id);
    const mine = m.sender_type === 'visitor' && !!m.client_id;
    const wasPending = mine && this.pending.some((p) => p.client_id === m.client_id);
    this.byId.set(m.id, known ? { ...this.byId.get(m.id)!, ...m } : m);
    if (mine) {
      this.idByClient.set(m.client_id!, m.id);
      if (wasPending) this.pending = this.pending.filter((p) => p.client_id !== m.client_id);
    }
    const next = source === 'echo' || source === 'history' ? 'delivered' : 'sent';
    const prev = this.state.get(m.id);
    if (!prev || RANK[next] > RANK[prev]) this.state.set(m.id, next);
    return !known && !wasPending;
  }

  /** True when the server stored the message of this client_id, or refused it. */
  settled(clientId: string): boolean {
    return this.idByClient.has(clientId) || this.pending.some((p) => p.client_id === clientId && !!p.error);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Queues a new message of the visitor. */
  add(text: string, clientId: string, now = new Date()): Pending {
    const p: Pending = { client_id: clientId, text, created_at: now.toISOString() };
    this.pending.push(p);
    return p;
  }

  /** Messages to (re)send: pending ones the server has not refused. */
  unsent(): Pending[] {
    return this.pending.filter((p) => !p.error && !this.idByClient.has(p.client_id));
  }

  fail(clientId: string, reason: string): void {
    this.pending = this.pending.map((p) => (p.client_id === clientId ? { ...p, error: reason } : p));
  }

  retry(clientId: string): void {
    this.pending = this.pending.map((p) => (p.client_id === clientId ? { client_id: p.client_id, text: p.text, created_at: p.created_at } : p));
  }

  discard(clientId: string): void {
    this.pending = this.pending.filter((p) => p.client_id !== clientId);
  }

  /** Highest seq among stored messages (0 when none). */
  maxSeq(): number {
    let max = 0;
    for (const m of this.byId.values()) if (m.seq > max) max = m.seq;
    return max;
  }

  /** What the chat shows, oldest first: stored messages by seq, then pending ones. */
  items(): Item[] {
    const stored = [...this.byId.values()].sort(
      (a, b) => a.seq - b.seq || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id),
    );
    // Keys stay the same when a pending message becomes a stored one, so
    // its bubble is updated in place rather than redrawn.
    const used = new Set<string>();
    const keyOf = (m: Message) => {
      const k = m.client_id && m.sender_type === 'visitor' ? 'c:' + m.client_id : 'm:' + m.id;
      const key = used.has(k) ? 'm:' + m.id : k;
      used.add(key);
      return key;
    };
    const out: Item[] = stored.map((m) => ({
      key: keyOf(m),
      id: m.id,
      kind: m.kind,
      sender: m.sender_type,
      senderName: m.sender_name ?? '',
      senderId: m.sender_id,
      text: m.text,
      clientId: m.client_id,
      state: m.sender_type === 'visitor' ? this.state.get(m.id) : undefined,
      seq: m.seq,
      createdAt: m.created_at,
      event: m.event,
    }));
    for (const p of this.pending) {
      if (this.idByClient.has(p.client_id)) continue;
      out.push({
        key: 'c:' + p.client_id,
        kind: 'text',
        sender: 'visitor',
        senderName: '',
        senderId: null,
        text: p.text,
        clientId: p.client_id,
        state: p.error ? 'failed' : 'sending',
        error: p.error,
        seq: Number.MAX_SAFE_INTEGER,
        createdAt: p.created_at,
      });
    }
    return out;
  }
}
