// Shapes of the visitor API (docs/widget-contract.md, shared/API.md).

export interface EventAction {
  action: string; // assigned, unassigned, took, resolved, reopened
  actor_id?: string | null;
  actor_name?: string;
  target_id?: string | null;
  target_name?: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  kind: 'text' | 'event' | 'note';
  sender_type: 'visitor' | 'agent' | 'system';
  sender_id: string | null;
  sender_name?: string;
  text: string;
  client_id: string | null;
  event?: EventAction;
  created_at: string;
}

export interface Conversation {
  id: string;
  status: 'open' | 'resolved';
  channel?: string;
  last_message_at?: string;
}

export interface WidgetSettings {
  color: string;
  position: 'left' | 'right';
  greeting: string;
  offline_form: boolean;
  prechat: 'off' | 'optional' | 'required';
  privacy_url: string;
  consent_required: boolean;
}

export interface Session {
  visitor_token: string;
  visitor_id: string;
  contact_id: string;
  conversation: Conversation | null;
  online: boolean;
  account_name?: string;
  widget?: Partial<WidgetSettings>;
}

export interface Page<T> {
  items: T[];
  next_cursor: string;
}

export interface Identity {
  name?: string;
  email?: string;
  phone?: string;
  variables?: Record<string, unknown>;
  /** The site's own id of a logged-in user, with its HMAC (identity verification). */
  user_id?: string | number;
  user_hash?: string;
}

export type ServerFrame =
  | { type: 'message.created'; seq: number; data: Message }
  | { type: 'conversation.updated'; seq: number; data: Conversation }
  | { type: 'ack'; client_id: string; data: Message }
  | { type: 'error'; client_id?: string; error: { code: string; message: string } }
  | { type: 'reset' }
  | { type: 'typing'; data: { conversation_id: string; sender_type: string; name?: string; on: boolean } }
  | { type: 'presence'; data: { online: boolean } };

export const DEFAULT_SETTINGS: WidgetSettings = {
  color: '#16a34a',
  position: 'right',
  greeting: '',
  offline_form: true,
  prechat: 'off',
  privacy_url: '',
  consent_required: false,
};
