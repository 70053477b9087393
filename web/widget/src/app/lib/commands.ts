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

export function runCommand(target: CommandTarget, name: string, args: unknown[]): void {
  const [a] = args;
  switch (name) {
    case 'name':
    case 'email':
    case 'phone':
      if (typeof a === 'string') target.identify({ [name]: a });
      else warn(`parley('${name}', …) needs a string`);
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
