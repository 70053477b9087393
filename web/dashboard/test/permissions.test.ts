import { describe, expect, it } from 'vitest';
import { canResolve, canTake, isManager, resolveBlock } from '../src/lib/permissions';

const owner = { id: 'o', role: 'owner' as const };
const admin = { id: 'a', role: 'admin' as const };
const ann = { id: 'ann', role: 'agent' as const };

describe('who may resolve', () => {
  it('managers always, agents only their own', () => {
    expect(canResolve(owner, { assignee_id: null })).toBe(true);
    expect(canResolve(admin, { assignee_id: 'bob' })).toBe(true);
    expect(canResolve(ann, { assignee_id: 'ann' })).toBe(true);
    expect(canResolve(ann, { assignee_id: 'bob' })).toBe(false);
    expect(canResolve(ann, { assignee_id: null })).toBe(false);
    expect(canResolve(null, { assignee_id: null })).toBe(false);
  });
  it('gives a reason', () => {
    expect(resolveBlock(ann, { assignee_id: 'bob' })).toBe('perm.resolveOthers');
    expect(resolveBlock(ann, { assignee_id: null })).toBe('perm.resolveUnassigned');
    expect(resolveBlock(admin, { assignee_id: null })).toBeNull();
  });
});

describe('who may take', () => {
  it('limited agents only unassigned ones', () => {
    expect(canTake(ann, { assignee_id: null })).toBe(true);
    expect(canTake(ann, { assignee_id: 'bob' })).toBe(false);
    expect(canTake(ann, { assignee_id: 'ann' })).toBe(false);
    expect(canTake(admin, { assignee_id: 'bob' })).toBe(true);
  });
  it('managers', () => {
    expect(isManager(owner)).toBe(true);
    expect(isManager(admin)).toBe(true);
    expect(isManager(ann)).toBe(false);
  });
});
