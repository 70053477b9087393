// The security log as sentences: who, what and from which browser. Pure
// functions of an event and the language, tested without a browser.
import { en } from './i18n-en';
import { t } from './i18n.svelte';
import type { AuditEvent } from './types';

/** Who did it: an agent's name (as it was then), an API key, Parley, or someone not signed in. */
export function actorText(ev: AuditEvent): string {
  switch (ev.actor.type) {
    case 'agent':
      return ev.actor.name || ev.actor.email || ev.actor.id;
    case 'api_key':
      return t('audit.apiKey', { id: ev.actor.id });
    case 'system':
      return t('audit.system');
    default:
      return t('audit.anonymous');
  }
}

function roleText(r: unknown): string {
  if (typeof r !== 'string' || !r) return '';
  const key = `role.${r}`;
  return key in en ? t(key) : r;
}

/** What was done, as one sentence; an action this dashboard does not know yet shows its name. */
export function actionText(ev: AuditEvent): string {
  const d = ev.details ?? {};
  const changed = Array.isArray(d.changed) ? d.changed.filter((x): x is string => typeof x === 'string').join(', ') : '';
  const key = `audit.action.${ev.action}`;
  if (!(key in en)) return t('audit.action.other', { action: ev.action });
  return t(key, {
    target: ev.target.label || ev.target.id,
    role: roleText(d.role),
    from: roleText(d.from),
    to: roleText(d.to),
    changed,
  });
}

const browsers: [RegExp, string][] = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/(?:OPR|Opera)\/(\d+)/, 'Opera'],
  [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/(?:Chrome|CriOS)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[\d.]*(?: Mobile\/\S+)? Safari\//, 'Safari'],
];

const systems: [RegExp, string][] = [
  [/Windows/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** A short name of the browser and system of a User-Agent ("Chrome 131 · Linux"); another client's own first word. */
export function browserText(ua: string): string {
  if (!ua) return t('audit.unknownBrowser');
  const b = browsers.find(([re]) => re.test(ua));
  const os = systems.find(([re]) => re.test(ua))?.[1];
  if (b) {
    const v = b[0].exec(ua)?.[1];
    return [`${b[1]} ${v}`, os].filter(Boolean).join(' · ');
  }
  const first = ua.split(/\s+/)[0] ?? ua;
  return first.length > 40 ? `${first.slice(0, 40)}…` : first;
}
