import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type AccessFactsSource,
  type MemberFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import { createRoutingRule } from '../../../src/core/routing/create-routing-rule.js';
import { deleteRoutingRule } from '../../../src/core/routing/delete-routing-rule.js';
import { listRoutingRules } from '../../../src/core/routing/list-routing-rules.js';
import { reorderRoutingRules } from '../../../src/core/routing/reorder-routing-rules.js';
import { updateRoutingRule } from '../../../src/core/routing/update-routing-rule.js';
import {
  routingRuleInputSchema,
  type RoutingRule,
  type RoutingRuleInput,
} from '../../../src/core/routing/index.js';
import type {
  RoutingAuditEntry,
  RoutingRulesStore,
} from '../../../src/core/routing/routing-store.js';

/**
 * The routing-rule use cases against in-memory fakes of their ports. The fake store commits a
 * transaction's writes only when its work succeeds, so a refused action is seen to write
 * nothing; it records whether the rule-order lock was taken before positions were read.
 */
const WS = 'ws';

interface State {
  rules: RoutingRule[];
  audits: RoutingAuditEntry[];
}

const clone = (s: State): State => ({
  rules: s.rules.map((r) => ({ ...r })),
  audits: [...s.audits],
});

const spec = (input: Partial<RoutingRuleInput> = {}) =>
  routingRuleInputSchema.parse({
    name: 'VIP',
    target: { type: 'team', teamId: 'sales' },
    ...input,
  });

function world() {
  const member = (userId: string, role: string, status: MemberFacts['status'] = 'active') => ({
    userId,
    name: userId,
    role,
    status,
    restrictions: {},
  });
  const facts: WorkspaceAccessFacts = {
    workspaceId: WS,
    members: [member('owner', 'owner'), member('admin', 'admin'), member('agent', 'agent')],
    teams: [
      { id: 'sales', name: 'Sales', parentId: null, status: 'active' },
      { id: 'old', name: 'Old', parentId: null, status: 'suspended' },
    ],
    teamMembers: [],
    customRoles: [],
    bindings: [],
  };
  const access: AccessFactsSource = {
    workspaceAccess: (workspaceId) => {
      expect(workspaceId).toBe(WS);
      return Promise.resolve(facts);
    },
    chatFacts: () => Promise.resolve([]),
  };
  let state: State = { rules: [], audits: [] };
  let seq = 0;
  const ordered = (rules: RoutingRule[]) =>
    [...rules].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
  const store: RoutingRulesStore = {
    listRules: () => Promise.resolve(ordered(state.rules).map((r) => ({ ...r }))),
    async transaction(work) {
      const draft = clone(state);
      let locked = false;
      const mustLock = () => {
        if (!locked) throw new Error('positions changed without the rule-order lock');
      };
      const result = await work({
        lockRuleOrder: () => {
          locked = true;
          return Promise.resolve(ordered(draft.rules).map((r) => r.id));
        },
        insertRule: (_ws, position, s) => {
          mustLock();
          for (const r of draft.rules) if (r.position >= position) r.position++;
          const rule = { ...s, id: `rule${++seq}`, position };
          draft.rules.push(rule);
          return Promise.resolve({ ...rule });
        },
        updateRule: (_ws, ruleId, s) => {
          const r = draft.rules.find((x) => x.id === ruleId);
          if (!r) return Promise.resolve(undefined);
          Object.assign(r, s);
          return Promise.resolve({ ...r });
        },
        deleteRule: (_ws, ruleId) => {
          mustLock();
          const gone = draft.rules.find((x) => x.id === ruleId);
          if (!gone) return Promise.resolve(false);
          draft.rules = draft.rules.filter((r) => r !== gone);
          for (const r of draft.rules) if (r.position > gone.position) r.position--;
          return Promise.resolve(true);
        },
        setRuleOrder: (_ws, ids) => {
          mustLock();
          for (const r of draft.rules) r.position = ids.indexOf(r.id);
          return Promise.resolve();
        },
        audit: (entry) => {
          draft.audits.push(entry);
          return Promise.resolve();
        },
      });
      state = draft;
      return result;
    },
  };
  const as = (userId: string) => {
    const p = buildPrincipal(facts, userId);
    if (!p) throw new Error(userId);
    return p;
  };
  const names = () => ordered(state.rules).map((r) => `${r.position}:${r.name}`);
  return { deps: { store, access }, state: () => state, as, names };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

async function seed(w: ReturnType<typeof world>, ...names: string[]) {
  const created: RoutingRule[] = [];
  for (const name of names)
    created.push(
      await createRoutingRule(w.deps, {
        actor: w.as('admin'),
        workspaceId: WS,
        spec: spec({ name }),
      }),
    );
  return created;
}

describe('routing-rule use cases', () => {
  it('§4 routing rules need settings.manage: an Agent may neither list nor change them, and nothing is written', async () => {
    const w = world();
    const [a] = await seed(w, 'A');
    const agent = w.as('agent');
    const refusals = await Promise.all([
      refusal(listRoutingRules(w.deps, { actor: agent, workspaceId: WS })),
      refusal(createRoutingRule(w.deps, { actor: agent, workspaceId: WS, spec: spec() })),
      refusal(
        updateRoutingRule(w.deps, { actor: agent, workspaceId: WS, ruleId: a!.id, spec: spec() }),
      ),
      refusal(deleteRoutingRule(w.deps, { actor: agent, workspaceId: WS, ruleId: a!.id })),
      refusal(reorderRoutingRules(w.deps, { actor: agent, workspaceId: WS, ruleIds: [a!.id] })),
    ]);
    for (const refused of refusals) {
      expect(refused.code).toBe('forbidden');
      expect(refused.message).toContain('settings.manage');
    }
    expect(w.names()).toEqual(['0:A']);
    expect(w.state().audits).toHaveLength(1);
  });

  it('a new rule goes last unless a position is given (past the end is the end); others move down; each is audited', async () => {
    const w = world();
    await seed(w, 'A', 'B');
    const first = await createRoutingRule(w.deps, {
      actor: w.as('owner'),
      workspaceId: WS,
      spec: spec({ name: 'First' }),
      position: 0,
    });
    expect(first.position).toBe(0);
    await createRoutingRule(w.deps, {
      actor: w.as('owner'),
      workspaceId: WS,
      spec: spec({ name: 'Z', target: { type: 'user', userId: 'agent' } }),
      position: 99,
    });
    expect(w.names()).toEqual(['0:First', '1:A', '2:B', '3:Z']);
    expect(w.state().audits.at(-1)).toMatchObject({
      action: 'routing_rule.create',
      actorUserId: 'owner',
      targetType: 'routing_rule',
      after: { name: 'Z' },
    });
    expect(
      (await listRoutingRules(w.deps, { actor: w.as('admin'), workspaceId: WS })).map(
        (r) => r.name,
      ),
    ).toEqual(['First', 'A', 'B', 'Z']);
  });

  it('§4 a rule’s target must be a member or an active team (a suspended team’s queue is HQ’s): invalid_input, nothing written', async () => {
    const w = world();
    const [a] = await seed(w, 'A');
    for (const target of [
      { type: 'team' as const, teamId: 'old' },
      { type: 'team' as const, teamId: 'nope' },
      { type: 'user' as const, userId: 'stranger' },
    ]) {
      const created = await refusal(
        createRoutingRule(w.deps, {
          actor: w.as('admin'),
          workspaceId: WS,
          spec: spec({ target }),
        }),
      );
      expect(created.code).toBe('invalid_input');
      const updated = await refusal(
        updateRoutingRule(w.deps, {
          actor: w.as('admin'),
          workspaceId: WS,
          ruleId: a!.id,
          spec: spec({ target }),
        }),
      );
      expect(updated.code).toBe('invalid_input');
    }
    expect(w.state().rules).toEqual([a]);
    expect(w.state().audits).toHaveLength(1);
  });

  it('replacing a rule keeps its position; an unknown rule is not found', async () => {
    const w = world();
    const [, b] = await seed(w, 'A', 'B');
    const replaced = await updateRoutingRule(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      ruleId: b!.id,
      spec: spec({ name: 'B2', enabled: false }),
    });
    expect(replaced).toMatchObject({ id: b!.id, position: 1, name: 'B2', enabled: false });
    expect(w.state().audits.at(-1)).toMatchObject({
      action: 'routing_rule.update',
      targetId: b!.id,
    });
    const missing = await refusal(
      updateRoutingRule(w.deps, {
        actor: w.as('admin'),
        workspaceId: WS,
        ruleId: 'nope',
        spec: spec(),
      }),
    );
    expect(missing.code).toBe('not_found');
    expect(w.state().audits).toHaveLength(3);
  });

  it('removing a rule closes the gap (positions stay 0…n-1); removing it again is not found', async () => {
    const w = world();
    const [, b] = await seed(w, 'A', 'B', 'C');
    await deleteRoutingRule(w.deps, { actor: w.as('admin'), workspaceId: WS, ruleId: b!.id });
    expect(w.names()).toEqual(['0:A', '1:C']);
    expect(w.state().audits.at(-1)).toMatchObject({
      action: 'routing_rule.delete',
      targetId: b!.id,
    });
    const again = await refusal(
      deleteRoutingRule(w.deps, { actor: w.as('admin'), workspaceId: WS, ruleId: b!.id }),
    );
    expect(again.code).toBe('not_found');
    expect(w.state().audits).toHaveLength(4);
  });

  it('reordering takes every rule once and returns them in the new order; a missing, unknown or repeated id is invalid_input', async () => {
    const w = world();
    const [a, b, c] = await seed(w, 'A', 'B', 'C');
    const items = await reorderRoutingRules(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      ruleIds: [c!.id, a!.id, b!.id],
    });
    expect(items.map((r) => `${r.position}:${r.name}`)).toEqual(['0:C', '1:A', '2:B']);
    expect(w.state().audits.at(-1)).toMatchObject({
      action: 'routing_rule.reorder',
      targetType: 'workspace',
      targetId: WS,
      after: { ids: [c!.id, a!.id, b!.id] },
    });
    for (const ruleIds of [
      [a!.id, b!.id],
      [a!.id, b!.id, 'nope'],
      [a!.id, a!.id, b!.id],
    ]) {
      const refused = await refusal(
        reorderRoutingRules(w.deps, { actor: w.as('admin'), workspaceId: WS, ruleIds }),
      );
      expect(refused.code).toBe('invalid_input');
    }
    expect(w.names()).toEqual(['0:C', '1:A', '2:B']);
  });
});
