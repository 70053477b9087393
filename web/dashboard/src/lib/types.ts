// The API's objects, as docs/api.md describes them.

export type Role = 'owner' | 'admin' | 'agent';
export type Status = 'open' | 'resolved';
export type View = 'unassigned' | 'mine' | 'others' | 'all';
export type Channel = 'chat' | 'email' | 'messenger';

export interface Agent {
  id: string;
  account_id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  status: 'online' | 'offline';
  notify_offline_messages: boolean;
  notify_missed_conversations: boolean;
  created_at: string;
}

export interface MessageEvent {
  action: 'assigned' | 'unassigned' | 'took' | 'resolved' | 'reopened' | string;
  actor_id: string | null;
  actor_name: string;
  target_id?: string | null;
  target_name?: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  kind: 'text' | 'note' | 'event';
  sender_type: 'visitor' | 'agent' | 'system';
  sender_id: string | null;
  sender_name: string;
  text: string;
  client_id: string;
  event?: MessageEvent;
  created_at: string;
}

export interface Conversation {
  id: string;
  account_id: string;
  status: Status;
  channel: Channel;
  contact_id: string;
  visitor_id: string;
  assignee_id: string | null;
  created_at: string;
  updated_at: string;
  last_message_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  last_message: Message | null;
}

export interface Contact {
  id: string;
  account_id: string;
  name: string;
  email: string;
  phone: string;
  note: string;
  variables: Record<string, string> | null;
  created_at: string;
  updated_at: string;
  /** Of the contact's latest visitor; empty strings are unknown. */
  location?: { city: string; region: string; country: string; country_code: string };
  browser?: { name: string; version: string };
  os?: { name: string; version: string };
  device?: string;
}

export interface PageView {
  url: string;
  title: string;
  referrer: string;
  visitor_id: string;
  created_at: string;
}

export interface Counts {
  open: { all: number; unassigned: number; mine: number; others: number };
  resolved: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string;
}

export interface Account {
  id: string;
  name: string;
  widget_key: string;
}

export interface WidgetSettings {
  widget_key: string;
  snippet: string;
  color: string;
  position: 'right' | 'left';
  greeting: string;
  offline_form: boolean;
  prechat: 'off' | 'optional' | 'required';
  privacy_url?: string;
  consent_required?: boolean;
}

/** A frame from the agent stream. */
export type Frame =
  | { type: 'message.created'; seq: number; data: Message }
  | { type: 'conversation.updated'; seq: number; data: Conversation }
  | { type: 'contact.updated'; seq: number; data: Contact }
  | {
      type: 'typing';
      data: {
        conversation_id: string;
        sender_type: 'visitor' | 'agent';
        visitor_id?: string;
        agent_id?: string;
        name?: string;
        on: boolean;
      };
    }
  | { type: 'presence'; data: { agent_id?: string; status?: string; visitor_id?: string; contact_id?: string; online?: boolean } }
  | { type: 'reset' }
  | { type: 'ack'; client_id: string; data: Message }
  | { type: 'error'; client_id?: string; error: { code: string; message: string } };
