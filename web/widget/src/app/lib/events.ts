// Words for the conversation's event messages (assigned, resolved, …), as
// a visitor should read them. Unknown events show their server text.
import type { Item } from './book';
import type { Key } from '../i18n/en';

export function eventText(item: Item, t: (k: Key, v?: Record<string, string>) => string): string {
  const e = item.event;
  if (!e) return item.text;
  const who = e.target_name || e.actor_name || '';
  switch (e.action) {
    case 'assigned':
    case 'took':
      return who ? t('eventJoined', { name: who }) : item.text;
    case 'unassigned':
      return e.target_name ? t('eventLeft', { name: e.target_name }) : item.text;
    case 'resolved':
      return t('eventResolved');
    case 'reopened':
      return t('eventReopened');
    default:
      return item.text;
  }
}
