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

/** Where the contact's latest visitor is, from the IP address; empty strings are unknown. */
export interface Location {
  city: string;
  region: string;
  country: string;
  country_code: string;
}

export interface NameVersion {
  name: string;
  version: string;
}

export type Device = 'desktop' | 'mobile' | 'tablet' | 'bot' | '';

export interface ShopOrder {
  number: string;
  date: string | null;
  total: number | null;
  currency: string;
  status: string;
  url: string;
}

/** Shopping information pushed by the shop (PUT /api/v1/customers/{external_id}). */
export interface Shop {
  customer_since: string | null;
  orders_count: number | null;
  total_spent: number | null;
  /** ISO 4217, or "" when the shop did not say. */
  currency: string;
  last_orders: ShopOrder[] | null;
  attributes: Record<string, string | number | boolean> | null;
  updated_at: string;
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
  /** The shop's user id ("" when not identified). */
  external_id?: string;
  /** Of the contact's latest visitor; empty strings are unknown. */
  location?: Location;
  browser?: NameVersion;
  os?: NameVersion;
  device?: Device | string;
  /** Visits of all the contact's visitors. */
  visits?: number;
  first_seen_at?: string | null;
  last_seen_at?: string | null;
  /** Referrer of the latest visit ("" = direct). */
  referrer?: string;
  shop?: Shop | null;
}

export interface PageView {
  url: string;
  title: string;
  referrer: string;
  visitor_id: string;
  /** A visit is a run of page views of one visitor with gaps under 30 minutes. */
  visit_id: string;
  /** The visit's first page; its referrer is the visit's referrer. */
  visit_start: boolean;
  created_at: string;
}

/** GET /api/v1/contacts/{id}/pages: a page of views plus the contact's visit count. */
export interface PageViews {
  items: PageView[];
  next_cursor: string;
  visits: number;
}

/** A visitor with a chat box open right now (GET /api/v1/visitors/online, `visitor.online` frames). */
export interface OnlineVisitor {
  visitor_id: string;
  contact_id: string;
  name: string;
  email: string;
  page: { url: string; title: string };
  /** Start of the current visit. */
  since: string;
  /** Pages in this visit. */
  pages: number;
  /** Referrer of the current visit ("" = direct); sent by the server beside the contract's fields. */
  referrer?: string;
  location: Location | null;
  browser: NameVersion | null;
  os: NameVersion | null;
  device: Device | string;
  chatting: boolean;
  /** The latest open conversation, if any. */
  conversation_id: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
}

/** The answer to creating a key: the only time the whole key is shown. */
export interface NewApiKey extends ApiKey {
  key: string;
}

export interface Identity {
  secret: string;
  verify: boolean;
}

export interface Counts {
  open: { all: number; unassigned: number; mine: number; others: number };
  resolved: number;
}

/** One entry of the owner's security log (GET /api/v1/audit). */
export interface AuditEvent {
  id: string;
  account_id: string;
  created_at: string;
  actor: { type: 'agent' | 'api_key' | 'system' | 'anonymous' | string; id: string; name: string; email: string };
  action: string;
  target: { type: string; id: string; label: string };
  ip: string;
  user_agent: string;
  details: Record<string, unknown>;
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
  | { type: 'visitor.online'; data: OnlineVisitor }
  | { type: 'visitor.offline'; data: { visitor_id: string } }
  | { type: 'reset' }
  | { type: 'ack'; client_id: string; data: Message }
  | { type: 'error'; client_id?: string; error: { code: string; message: string } };
