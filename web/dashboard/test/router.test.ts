import { describe, expect, it } from 'vitest';
import { parse } from '../src/lib/router.svelte';

describe('routes', () => {
  it('parses the visitors page with an optional contact card', () => {
    expect(parse('/visitors')).toEqual({ name: 'visitors', contact: null });
    expect(parse('/visitors?contact=k%201')).toEqual({ name: 'visitors', contact: 'k 1' });
  });

  it('parses the settings pages and keeps the old ones', () => {
    expect(parse('/settings/api')).toEqual({ name: 'apiSettings' });
    expect(parse('/settings/security')).toEqual({ name: 'securitySettings' });
    expect(parse('/settings/widget')).toEqual({ name: 'settings' });
    expect(parse('/conversations/abc')).toEqual({ name: 'conversations', id: 'abc' });
    expect(parse('/conversations?x=1')).toEqual({ name: 'conversations', id: null });
  });
});
