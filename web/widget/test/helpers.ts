import type { Message } from '../src/app/lib/types';

let n = 0;
export function msg(over: Partial<Message> = {}): Message {
  n++;
  return {
    id: over.id ?? `m${n}`,
    conversation_id: 'c1',
    seq: over.seq ?? n,
    kind: 'text',
    sender_type: 'agent',
    sender_id: 'a1',
    sender_name: 'Anna',
    text: `text ${n}`,
    client_id: null,
    created_at: new Date(Date.UTC(2025, 0, 1, 12, 0, n)).toISOString(),
    ...over,
  };
}
