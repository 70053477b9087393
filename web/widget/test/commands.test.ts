import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand, type CommandTarget } from '../src/app/lib/commands';
import { mergeIdentity } from '../src/app/lib/chat.svelte';

function target() {
  return {
    identify: vi.fn(),
    open: vi.fn(),
    close: vi.fn(),
    setHidden: vi.fn(),
    prefill: vi.fn(),
    setColor: vi.fn((c: unknown) => typeof c === 'string' && /^#[0-9a-f]{6}$/i.test(c)),
    setLanguage: vi.fn((l: string) => l === 'hu' || l === 'en'),
  } satisfies CommandTarget;
}

afterEach(() => vi.restoreAllMocks());

describe('JS API commands in the chat frame', () => {
  it('name, email, phone and variables go to identify', () => {
    const t = target();
    runCommand(t, 'name', ['Ada']);
    runCommand(t, 'email', ['ada@example.com']);
    runCommand(t, 'phone', ['+36 30 123 4567']);
    runCommand(t, 'variables', [{ plan: 'gold', n: 3 }]);
    expect(t.identify.mock.calls).toEqual([
      [{ name: 'Ada' }],
      [{ email: 'ada@example.com' }],
      [{ phone: '+36 30 123 4567' }],
      [{ variables: { plan: 'gold', n: 3 } }],
    ]);
  });

  it('identify carries a logged-in user with its hash', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = target();
    runCommand(t, 'identify', [{ user_id: 'u-42', user_hash: 'abc', name: 'Ada', email: 'ada@example.com' }]);
    runCommand(t, 'identify', [{ user_id: 1042 }]);
    expect(t.identify.mock.calls).toEqual([
      [{ user_id: 'u-42', user_hash: 'abc', name: 'Ada', email: 'ada@example.com' }],
      [{ user_id: 1042 }],
    ]);
    runCommand(t, 'identify', [{ user_hash: 'abc' }]);
    runCommand(t, 'identify', ['u-42']);
    runCommand(t, 'identify', [{ user_id: { id: 1 } }]);
    expect(t.identify).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it('open, close, show, hide, message, colour, language', () => {
    const t = target();
    runCommand(t, 'chat:open', []);
    expect(t.setHidden).toHaveBeenLastCalledWith(false);
    expect(t.open).toHaveBeenCalled();
    runCommand(t, 'chat:close', []);
    expect(t.close).toHaveBeenCalled();
    runCommand(t, 'chat:hide', []);
    expect(t.setHidden).toHaveBeenLastCalledWith(true);
    runCommand(t, 'chat:show', []);
    expect(t.setHidden).toHaveBeenLastCalledWith(false);
    runCommand(t, 'chat:message', ['I have a question about order 1042']);
    expect(t.prefill).toHaveBeenCalledWith('I have a question about order 1042');
    runCommand(t, 'theme:color', ['#0a7d3b']);
    expect(t.setColor).toHaveBeenCalledWith('#0a7d3b');
    runCommand(t, 'language', ['hu']);
    expect(t.setLanguage).toHaveBeenCalledWith('hu');
  });

  it('bad arguments are ignored with a warning, never thrown', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = target();
    expect(() => {
      runCommand(t, 'name', [42]);
      runCommand(t, 'variables', ['nope']);
      runCommand(t, 'variables', [[1, 2]]);
      runCommand(t, 'chat:message', [{}]);
      runCommand(t, 'theme:color', ['red']);
      runCommand(t, 'theme:color', ['#12345']);
      runCommand(t, 'language', ['klingon']);
      runCommand(t, 'no-such-command', []);
    }).not.toThrow();
    expect(t.identify).not.toHaveBeenCalled();
    expect(t.prefill).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(8);
  });
});

describe('mergeIdentity', () => {
  it('keeps a user_hash only with the user_id it signs', () => {
    const a = mergeIdentity(null, { user_id: 'u-1', user_hash: 'h1', name: 'Ada' });
    expect(mergeIdentity(a, { email: 'ada@example.com' })).toEqual({ user_id: 'u-1', user_hash: 'h1', name: 'Ada', email: 'ada@example.com' });
    expect(mergeIdentity(a, { user_id: 'u-2' })).toEqual({ user_id: 'u-2', name: 'Ada' });
    expect(mergeIdentity(a, { user_id: 'u-2', user_hash: 'h2' })).toEqual({ user_id: 'u-2', user_hash: 'h2', name: 'Ada' });
  });
});
