import { describe, expect, it } from 'vitest';
import { MessageBook } from '../src/app/lib/book';
import { msg } from './helpers';

describe('MessageBook: merging and deduplicating', () => {
  it('shows a message once however many times it arrives', () => {
    const b = new MessageBook();
    const m = msg({ id: 'x', seq: 5 });
    expect(b.receive(m, 'history')).toBe(true);
    expect(b.receive(m, 'echo')).toBe(false);
    expect(b.receive({ ...m }, 'history')).toBe(false);
    expect(b.items()).toHaveLength(1);
  });

  it('orders stored messages by seq, pending ones last', () => {
    const b = new MessageBook();
    b.add('later', 'c-1');
    b.receive(msg({ id: 'b', seq: 20 }), 'echo');
    b.receive(msg({ id: 'a', seq: 10 }), 'history');
    expect(b.items().map((i) => i.id ?? i.clientId)).toEqual(['a', 'b', 'c-1']);
  });

  it('turns a pending message into the stored one by client_id: sending → sent → delivered', () => {
    const b = new MessageBook();
    b.add('hello', 'cid-1');
    expect(b.items()).toMatchObject([{ state: 'sending', clientId: 'cid-1', text: 'hello' }]);
    const key = b.items()[0]!.key;

    const stored = msg({ id: 'm-1', seq: 7, sender_type: 'visitor', client_id: 'cid-1', text: 'hello' });
    expect(b.receive(stored, 'ack')).toBe(false); // was pending: not new
    expect(b.items()).toMatchObject([{ id: 'm-1', state: 'sent', clientId: 'cid-1' }]);
    expect(b.items()[0]!.key).toBe(key); // same bubble
    expect(b.pending).toEqual([]);

    b.receive(stored, 'echo');
    expect(b.items()).toMatchObject([{ id: 'm-1', state: 'delivered' }]);
    // A late ack never downgrades.
    b.receive(stored, 'ack');
    expect(b.items()).toMatchObject([{ state: 'delivered' }]);
    expect(b.items()).toHaveLength(1);
  });

  it('takes the echo before the ack too', () => {
    const b = new MessageBook();
    b.add('hi', 'cid-2');
    const stored = msg({ id: 'm-2', sender_type: 'visitor', client_id: 'cid-2', text: 'hi' });
    b.receive(stored, 'echo');
    b.receive(stored, 'ack');
    expect(b.items()).toMatchObject([{ id: 'm-2', state: 'delivered' }]);
  });

  it('resends only what the server has not stored or refused, with the same client_id', () => {
    const b = new MessageBook();
    b.add('one', 'c1');
    b.add('two', 'c2');
    b.add('three', 'c3');
    b.receive(msg({ id: 's1', sender_type: 'visitor', client_id: 'c1', text: 'one' }), 'ack');
    b.fail('c3', 'too long');
    expect(b.unsent().map((p) => p.client_id)).toEqual(['c2']);
    expect(b.items().map((i) => i.state)).toEqual(['sent', 'sending', 'failed']);
    expect(b.settled('c1')).toBe(true);
    expect(b.settled('c3')).toBe(true);
    expect(b.settled('c2')).toBe(false);
    b.retry('c3');
    expect(b.unsent().map((p) => p.client_id)).toEqual(['c2', 'c3']);
  });

  it('restores pending messages (from localStorage) without duplicates or junk', () => {
    const b = new MessageBook([
      { client_id: 'a', text: 'x', created_at: '2025-01-01T00:00:00Z' },
      { client_id: 'a', text: 'x', created_at: '2025-01-01T00:00:00Z' },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      null as any,
      { client_id: 'b', text: 'y', created_at: '2025-01-01T00:00:01Z' },
    ]);
    expect(b.unsent().map((p) => p.client_id)).toEqual(['a', 'b']);
  });

  it("a message of the visitor's from another tab (unknown client_id) shows once, as delivered", () => {
    const b = new MessageBook();
    const other = msg({ id: 'o', sender_type: 'visitor', client_id: 'other-tab' });
    expect(b.receive(other, 'echo')).toBe(true);
    expect(b.receive(other, 'ack')).toBe(false);
    expect(b.items()).toMatchObject([{ id: 'o', state: 'delivered' }]);
  });

  it('ignores notes and malformed messages', () => {
    const b = new MessageBook();
    expect(b.receive(msg({ kind: 'note' }), 'echo')).toBe(false);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(b.receive({} as any, 'echo')).toBe(false);
    expect(b.items()).toEqual([]);
  });

  it('knows the highest seq', () => {
    const b = new MessageBook();
    expect(b.maxSeq()).toBe(0);
    b.receive(msg({ seq: 3 }), 'history');
    b.receive(msg({ seq: 9 }), 'history');
    b.receive(msg({ seq: 4 }), 'history');
    expect(b.maxSeq()).toBe(9);
  });

  it('keeps keys unique even if two stored messages share a client_id', () => {
    const b = new MessageBook();
    b.receive(msg({ id: 'p', sender_type: 'visitor', client_id: 'same' }), 'history');
    b.receive(msg({ id: 'q', sender_type: 'visitor', client_id: 'same' }), 'history');
    const keys = b.items().map((i) => i.key);
    expect(new Set(keys).size).toBe(2);
  });
});
