// Who may do what (docs/api.md "Who may do what").
import type { Agent, Conversation } from './types';

/** The security log is the owner's only. */
export function isOwner(me: Pick<Agent, 'role'> | null | undefined): boolean {
  return me?.role === 'owner';
}

export function isManager(me: Pick<Agent, 'role'> | null | undefined): boolean {
  return me?.role === 'owner' || me?.role === 'admin';
}

/** null when `me` may resolve `c`, else the i18n key of the reason. */
export function resolveBlock(me: Pick<Agent, 'id' | 'role'> | null, c: Pick<Conversation, 'assignee_id'>): string | null {
  if (!me) return 'perm.signedOut';
  if (isManager(me)) return null;
  if (c.assignee_id && c.assignee_id === me.id) return null;
  return c.assignee_id ? 'perm.resolveOthers' : 'perm.resolveUnassigned';
}

export function canResolve(me: Pick<Agent, 'id' | 'role'> | null, c: Pick<Conversation, 'assignee_id'>): boolean {
  return resolveBlock(me, c) === null;
}

/** Limited agents may take only unassigned conversations; managers may always take. */
export function canTake(me: Pick<Agent, 'id' | 'role'> | null, c: Pick<Conversation, 'assignee_id'>): boolean {
  if (!me) return false;
  if (c.assignee_id === me.id) return false;
  return isManager(me) || !c.assignee_id;
}

export function canAssignOthers(me: Pick<Agent, 'role'> | null): boolean {
  return isManager(me);
}
