import { describe, expect, it } from 'vitest';
import { actionText, actorText, browserText } from '../src/lib/audit';
import { setLang } from '../src/lib/i18n.svelte';
import type { AuditEvent } from '../src/lib/types';

function ev(p: Partial<AuditEvent>): AuditEvent {
  return {
    id: '1', account_id: 'a', created_at: '2026-01-02T03:04:05Z', action: 'auth.login', ip: '203.0.113.9', user_agent: '',
    actor: { type: 'agent', id: 'o', name: 'Olivia Owner', email: 'olivia@example.com' },
    target: { type: 'agent', id: 'o', label: 'Olivia Owner <olivia@example.com>' },
    details: {},
    ...p,
  };
}

describe('security log sentences', () => {
  it('names who did it', () => {
    setLang('en');
    expect(actorText(ev({}))).toBe('Olivia Owner');
    expect(actorText(ev({ actor: { type: 'anonymous', id: '', name: '', email: '' } }))).toBe('Someone not signed in');
    expect(actorText(ev({ actor: { type: 'api_key', id: 'k1', name: '', email: '' } }))).toBe('API key k1');
  });

  it('says what was done, with roles and fields', () => {
    setLang('en');
    const target = { type: 'agent', id: 'b', label: 'Bob <bob@example.com>' };
    expect(actionText(ev({ action: 'agent.role_changed', target, details: { from: 'agent', to: 'admin' } }))).toBe(
      'Changed the role of Bob <bob@example.com> from Agent to Admin',
    );
    expect(actionText(ev({ action: 'auth.login_failed', target }))).toBe('Failed sign-in as Bob <bob@example.com>');
    expect(actionText(ev({ action: 'widget.settings_changed', details: { changed: ['color', 'greeting'] } }))).toBe(
      'Changed the chat box settings (color, greeting)',
    );
    expect(actionText(ev({ action: 'auth.totp_enabled' }))).toBe('auth.totp_enabled');
    setLang('hu');
    expect(actionText(ev({ action: 'agent.role_changed', target, details: { from: 'agent', to: 'admin' } }))).toBe(
      'Bob <bob@example.com> szerepkörét módosította: Ügyintéző → Adminisztrátor',
    );
    setLang('en');
  });

  it('shortens the browser', () => {
    expect(browserText('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe('Chrome 131 · Linux');
    expect(browserText('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0')).toBe('Edge 120 · Windows');
    expect(browserText('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15')).toBe('Safari 17 · macOS');
    expect(browserText('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox 133 · Linux');
    expect(browserText('curl/8.5.0')).toBe('curl/8.5.0');
    expect(browserText('')).toBe('Unknown browser');
  });
});
