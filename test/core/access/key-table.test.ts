import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accessKeys,
  allows,
  bitsOf,
  buildPrincipal,
  buildPrincipals,
  chatActions,
  check,
  keyOf,
  keyTable,
  planFor,
  KEY_BIT,
  SPARSE_MARKS,
  type ChatFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { makeWorld } from '../../support/access-world.js';
import { U, WS, T, chatOn, teamAccount, toUser, userAccount, world } from './world.js';

/**
 * `allows` decides a scope that flattens from its key table (`AccessKeys`, `KeyTable`);
 * `check` walks the plan's terms one by one to say why. The two must never disagree.
 */
describe('scope key tables', () => {
  const facts: WorkspaceAccessFacts = world();
  const keys = accessKeys(facts);

  it('gives every member, team member and team one key, and 0 to no one', () => {
    const all = [...keys.users.values(), ...keys.teams.values()];
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBe(1);
    expect(keys.size).toBe(all.length + 1);
    expect(keyOf(keys, null)).toBe(0);
    expect(keyOf(keys, { type: 'workspace' })).toBe(0);
    expect(keyOf(keys, { type: 'user', userId: 'somebody-else' })).toBe(0);
    expect(keyOf(keys, { type: 'team', teamId: T.sales })).toBe(keys.teams.get(T.sales));
  });

  it(`keeps up to ${SPARSE_MARKS} marked keys as a list and more as a table, with the same bits`, () => {
    const users = [...keys.users.keys()];
    for (const n of [1, SPARSE_MARKS, SPARSE_MARKS + 1]) {
      const ids = users.slice(0, Math.min(n, users.length));
      const extraTeams = n > SPARSE_MARKS ? [T.sales, T.support] : [];
      const table = keyTable(keys, [
        { ids, kind: 'user', bit: KEY_BIT.assignee },
        { ids: ids.slice(0, 1), kind: 'user', bit: KEY_BIT.owner },
        { ids: extraTeams, kind: 'team', bit: KEY_BIT.filter },
      ]);
      const marked = ids.length + extraTeams.length;
      expect(table.dense.length > 0, `${marked} marks`).toBe(marked > SPARSE_MARKS);
      expect(bitsOf(table, keyOf(keys, { type: 'user', userId: ids[0] ?? '' }))).toBe(
        KEY_BIT.assignee | KEY_BIT.owner,
      );
      for (const id of ids.slice(1))
        expect(bitsOf(table, keyOf(keys, { type: 'user', userId: id }))).toBe(KEY_BIT.assignee);
      for (const t of extraTeams)
        expect(bitsOf(table, keyOf(keys, { type: 'team', teamId: t }))).toBe(KEY_BIT.filter);
      expect(bitsOf(table, 0)).toBe(0);
      const unmarked = users.find((u) => !ids.includes(u));
      if (unmarked) expect(bitsOf(table, keyOf(keys, { type: 'user', userId: unmarked }))).toBe(0);
    }
  });

  it('refuses to mark an id the keys do not hold (a plan names no one outside the facts)', () => {
    expect(() =>
      keyTable(keys, [{ ids: ['stranger'], kind: 'user', bit: KEY_BIT.assignee }]),
    ).toThrow(/no access key/);
  });

  it('decides chats of people and teams the facts do not know as check does: nobody in scope but "all"', () => {
    const chat: ChatFacts = {
      id: 'c-ghost',
      workspaceId: WS,
      channelId: 'ch-ghost',
      channelOwner: { type: 'team', teamId: 'team-gone' },
      assignee: { type: 'user', userId: 'u-gone' },
      participantIds: [],
    };
    for (const p of buildPrincipals(facts)) {
      for (const action of chatActions)
        expect(allows(p, action, chat), `${p.userId} ${action}`).toBe(
          check(p, action, chat).allowed,
        );
    }
    const owner = buildPrincipal(facts, U.owner);
    const teammate = buildPrincipal(facts, U.teammate);
    if (!owner || !teammate) throw new Error('missing principal');
    expect(allows(owner, 'chat.view', chat)).toBe(true);
    expect(allows(teammate, 'chat.view', chat)).toBe(false);
  });

  /** Sales (with Sales-EU) as a desk: a custom role giving chat.view "team", bound to the team. */
  const desk = (status: WorkspaceAccessFacts['members'][number]['status'] = 'active') => {
    const base = world({
      roles: [{ id: 'desk', name: 'Desk', permissions: { 'chat.view': 'team' } }],
      bindings: [{ role: 'desk', team: 'sales' }],
    });
    return {
      ...base,
      members: base.members.map((m) => (m.userId === U.sam ? { ...m, status } : m)),
    };
  };

  it("shares one team-level scope among a closure's members, each with their own participation", () => {
    const facts = desk();
    const agent = buildPrincipal(facts, U.agent);
    const sam = buildPrincipal(facts, U.sam);
    if (!agent || !sam) throw new Error('missing principal');
    expect(agent.teamMemberIds).toBe(sam.teamMemberIds);
    const [a, s] = [planFor(agent, 'chat.view').flat, planFor(sam, 'chat.view').flat];
    expect(a?.table).toBe(s?.table);
    expect(a?.assigneeUsers).toBe(s?.assigneeUsers);
    expect([a?.participantUserId, s?.participantUserId]).toEqual([U.agent, U.sam]);
    // Alex takes part in a Legacy chat Sam does not: shared sets, separate participation.
    const legacy = chatOn(teamAccount('legacy'), { participants: ['agent'] });
    expect([allows(agent, 'chat.view', legacy), allows(sam, 'chat.view', legacy)]).toEqual([
      true,
      false,
    ]);
  });

  it("never hands a suspended member's empty scope to the active members of their closure", () => {
    const facts = desk('suspended');
    // The suspended member's plans are made first, at the same level.
    const sam = buildPrincipal(facts, U.sam);
    const agent = buildPrincipal(facts, U.agent);
    if (!sam || !agent) throw new Error('missing principal');
    expect(sam.levels['chat.view']).toBe('team');
    const chat = chatOn(userAccount('eva'), { assignee: toUser('teammate') });
    expect(allows(sam, 'chat.view', chat)).toBe(false);
    expect(allows(agent, 'chat.view', chat)).toBe(true);
    expect(planFor(agent, 'chat.view').flat?.table).not.toBe(planFor(sam, 'chat.view').flat?.table);
  });

  it('allows = check on random worlds, for every member, chat action and chat, with both kinds of table', () => {
    const seen = { dense: 0, sparse: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const w = makeWorld(seed, `k${seed}_`);
        const chats = w.workspaces.flatMap((ws) => ws.chats);
        for (const ws of w.workspaces) {
          for (const p of buildPrincipals(ws.facts)) {
            for (const action of chatActions) {
              const flat = planFor(p, action).flat;
              if (flat?.table.dense.length) seen.dense++;
              else if (flat) seen.sparse++;
              for (const chat of chats) {
                const decided = check(p, action, chat);
                expect(
                  allows(p, action, chat),
                  `${p.userId} (${p.role}) ${action} ${chat.id}: ${decided.reasons.join('; ')}`,
                ).toBe(decided.allowed);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    // Both representations were exercised.
    expect(seen.dense).toBeGreaterThan(0);
    expect(seen.sparse).toBeGreaterThan(0);
  });
});
