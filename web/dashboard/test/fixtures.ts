import type { Conversation, Message, OnlineVisitor, PageView } from '../src/lib/types';

export function conv(p: Partial<Conversation> & { id: string }): Conversation {
  return {
    account_id: 'a', status: 'open', channel: 'chat', contact_id: `c-${p.id}`, visitor_id: 'v', assignee_id: null,
    created_at: '2025-01-01T00:00:00.000000Z', updated_at: '2025-01-01T00:00:00.000000Z',
    last_message_at: '2025-01-01T00:00:00.000000Z', resolved_at: null, resolved_by: null, last_message: null,
    ...p,
  };
}

export function msg(p: Partial<Message> & { id: string; seq: number }): Message {
  return {
    conversation_id: 'c1', kind: 'text', sender_type: 'visitor', sender_id: 'v', sender_name: '', text: 'hi', client_id: '',
    created_at: '2025-01-01T00:00:00.000000Z', ...p,
  };
}

export function view(p: Partial<PageView> & { created_at: string }): PageView {
  return { url: 'https://shop.example/', title: 'Home', referrer: '', visitor_id: 'v1', visit_id: 'visit1', visit_start: false, ...p };
}

export function online(p: Partial<OnlineVisitor> & { visitor_id: string }): OnlineVisitor {
  return {
    contact_id: `c-${p.visitor_id}`, name: '', email: '', page: { url: 'https://shop.example/', title: 'Home' },
    since: '2025-01-01T10:00:00Z', pages: 1, location: null, browser: null, os: null, device: 'desktop',
    chatting: false, conversation_id: null, ...p,
  };
}
