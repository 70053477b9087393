import { describe, expect, it } from 'vitest';
import { historyFor, previewText } from '../src/lib/history';
import { conv, msg } from './fixtures';

describe('conversation history on the card', () => {
  const t0 = '2025-01-01T00:00:00.000000Z';
  const t1 = '2025-01-02T00:00:00.000000Z';

  it('lists the contact conversations newest first, with live copies winning', () => {
    const loaded = [conv({ id: 'old', contact_id: 'k', created_at: t0 }), conv({ id: 'new', contact_id: 'k', created_at: t1 })];
    const live = { old: conv({ id: 'old', contact_id: 'k', created_at: t0, status: 'resolved', updated_at: t1 }) };
    const rows = historyFor(loaded, live, 'k');
    expect(rows.map((c) => c.id)).toEqual(['new', 'old']);
    expect(rows[1]!.status).toBe('resolved');
  });

  it('adds a live conversation new to the contact and drops one that moved away', () => {
    const loaded = [conv({ id: 'a', contact_id: 'k' })];
    const live = {
      a: conv({ id: 'a', contact_id: 'other', updated_at: t1 }),
      b: conv({ id: 'b', contact_id: 'k', created_at: t1 }),
    };
    expect(historyFor(loaded, live, 'k').map((c) => c.id)).toEqual(['b']);
  });

  it('previews the last message on one line', () => {
    const c = conv({ id: 'a', last_message: msg({ id: 'm', seq: 1, text: 'Where is\n my order?' }) });
    expect(previewText(c, 'You')).toBe('Where is my order?');
    const byAgent = conv({ id: 'a', last_message: msg({ id: 'm', seq: 1, text: 'On its way', sender_type: 'agent', sender_name: 'Bea' }) });
    expect(previewText(byAgent, 'You')).toBe('Bea: On its way');
  });
});
