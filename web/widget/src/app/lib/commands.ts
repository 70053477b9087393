// The host page's JS API calls, as forwarded by the loader:
// parley(name, ...args). Bad arguments are ignored with a console warning;
// nothing here throws.
import type { Identity } from './types';

export interface CommandTarget {
  identify(who: Identity): void;
  open(): void;
  close(): void;
  setHidden(hidden: boolean): void;
  prefill(text: string): void;
  setColor(color: unknown): boolean;
  setLanguage(tag: string): boolean;
}

const warn = (msg: string) => console.warn('parley: ' + msg);

function plainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

// identityFrom reads parley('identify', {user_id, user_hash, name, email,
// phone}); fields of the wrong type are dropped with a warning.
function identityFrom(o: Record<string, unknown>): Identity | null {
  const who: Identity = {};
  for (const k of ['name', 'email', 'phone', 'user_hash'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] === 'string') who[k] = o[k];
    else warn(`identify: ${k} must be a string`);
  }
  const id = o.user_id;
  if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) who.user_id = id;
  else if (id !== undefined) warn('identify: user_id must be a string or a number');
  if (who.user_hash !== undefined && who.user_id === undefined) {
    warn('identify: user_hash needs the user_id it signs');
    return null;
  }
  return Object.keys(who).length ? who : null;
}

export function runCommand(target: CommandTarget, name: string, args: unknown[]): void {
  const [a] = args;
  switch (name) {
    case 'name':
    case 'email':
    case 'phone':
      if (typeof a === 'string') target.identify({ [name]: a });
      else warn(`parley('${name}', …) needs a string`);
      return;
    case 'identify':
      if (plainObject(a)) {
        const who = identityFrom(a);
        if (who) target.identify(who);
      } else warn("parley('identify', …) needs an object like {user_id, user_hash, name, email}");
      return;
    case 'variables':
      if (plainObject(a)) target.identify({ variables: a });
      else warn("parley('variables', …) needs an object");
      return;
    case 'chat:open':
      target.setHidden(false);
      target.open();
      return;
    case 'chat:close':
      target.close();
      return;
    case 'chat:show':
      target.setHidden(false);
      return;
    case 'chat:hide':
      target.setHidden(true);
      return;
    case 'chat:message':
      if (typeof a === 'string') target.prefill(a);
      else warn("parley('chat:message', …) needs a string");
      return;
    case 'theme:color':
      if (!target.setColor(a)) warn("parley('theme:color', …) needs a colour like '#16a34a'");
      return;
    case 'language':
      if (typeof a !== 'string' || !target.setLanguage(a)) warn(`language ${String(a)} is not available; English and Hungarian are`);
      return;
    default:
      warn(`unknown command ${name}`);
  }
}
