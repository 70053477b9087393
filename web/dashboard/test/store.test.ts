import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../src/lib/api';
import { app, cardRefresh, inbox, loadVisitors, newClientId, onFrame, visitors } from '../src/lib/store.svelte';
import type { OnlineVisitor } from '../src/lib/types';
import { conv, online } from './fixtures';

afterEach(() => vi.restoreAllMocks());

describe('visitor frames in the store', () => {
  it('keeps frames that arrive while the list loads', async () => {
    let answer!: (v: { items: OnlineVisitor[] }) => void;
    vi.spyOn(api, 'onlineVisitors').mockReturnValue(new Promise((r) => (answer = r)));
    const loading = loadVisitors();
    onFrame({ type: 'visitor.offline', data: { visitor_id: 'a' } });
    onFrame({ type: 'visitor.online', data: online({ visitor_id: 'c', since: '2025-01-01T12:00:00Z' }) });
    answer({ items: [online({ visitor_id: 'a' }), online({ visitor_id: 'b' })] });
    await loading;
    expect(visitors.loaded).toBe(true);
    expect(visitors.items.map((v) => v.visitor_id)).toEqual(['c', 'b']);
    onFrame({ type: 'visitor.offline', data: { visitor_id: 'c' } });
    expect(visitors.items.map((v) => v.visitor_id)).toEqual(['b']);
  });

  it('loads once more when asked again during a load (the stream came back meanwhile)', async () => {
    const answers: ((v: { items: OnlineVisitor[] }) => void)[] = [];
    const spy = vi.spyOn(api, 'onlineVisitors').mockImplementation(() => new Promise((r) => answers.push(r)));
    const first = loadVisitors();
    void loadVisitors();
    answers[0]!({ items: [online({ visitor_id: 'old' })] });
    await vi.waitFor(() => expect(answers.length).toBe(2));
    answers[1]!({ items: [online({ visitor_id: 'new' })] });
    await first;
    expect(spy).toHaveBeenCalledTimes(2);
    expect(visitors.items.map((v) => v.visitor_id)).toEqual(['new']);
  });

  it('tells the card of the contact to reload its pages on a page change', () => {
    const before = cardRefresh.pages['c-x'] ?? 0;
    onFrame({ type: 'visitor.online', data: online({ visitor_id: 'x', pages: 2 }) });
    expect(cardRefresh.pages['c-x']).toBe(before + 1);
    expect(app.onlineContacts['c-x']).toBe(true);
  });

  it('tells both cards to reload their history when a conversation moves to another contact', () => {
    vi.spyOn(api, 'contact').mockReturnValue(new Promise(() => {}));
    app.me = { id: 'me', account_id: 'a', email: '', name: 'Me', role: 'owner', active: true, status: 'online', notify_offline_messages: false, notify_missed_conversations: false, created_at: '' };
    onFrame({ type: 'conversation.updated', seq: 1, data: conv({ id: 'q', contact_id: 'k1' }) });
    expect(inbox.s.convs.q?.contact_id).toBe('k1');
    const k1 = cardRefresh.convs.k1 ?? 0;
    onFrame({ type: 'conversation.updated', seq: 2, data: conv({ id: 'q', contact_id: 'k2', updated_at: '2025-01-02T00:00:00.000000Z' }) });
    expect(cardRefresh.convs.k1).toBe(k1 + 1);
    expect(cardRefresh.convs.k2).toBe(1);
  });
});

describe('client_ids of the messages an agent sends', () => {
  it('begin with the time, so they sort as they were made, and never repeat', () => {
    const at = Date.UTC(2026, 10, 25);
    const ids = [0, 1, 1000, 86_400_000, 400 * 86_400_000].map((d) => newClientId(at + d));
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^d-[0-9a-z]{8}-[0-9a-z]+$/);
    expect(new Set(Array.from({ length: 1000 }, () => newClientId(at))).size).toBe(1000);
  });
});
