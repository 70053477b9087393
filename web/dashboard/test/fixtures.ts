import type { Conversation, Message } from '../src/lib/types';

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
