import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allows,
  audience,
  buildPrincipal,
  buildPrincipals,
  matchesListFilter,
  redact,
  teamAndSubteams,
  type ChatListFilter,
  type Principal,
} from '../../../../src/core/access/index.js';
import {
  loadChatFacts,
  loadWorkspaceAccess,
} from '../../../../src/adapters/db/access/load-access.js';
import { countVisibleChats } from '../../../../src/adapters/db/access/count-chats.js';
import {
  listVisibleChats,
  visibleCondition,
  type ChatListItem,
  type ListTuning,
} from '../../../../src/adapters/db/access/list-visible-chats.js';
import {
  byRecency,
  insertWorld,
  makeWorld,
  rng,
  type World,
} from '../../../support/access-world.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

/**
 * One policy, derived four ways, must agree on every world: `check` (in memory, from the
 * generated facts), the list query (SQL on real PostgreSQL, from facts loaded back), the
 * audience of each chat, and tenancy — and a fifth: the scope as one SQL condition per chat;
 * a sixth: the badge counts, from counters. Runs enough random worlds per CI run to find a
 * one-in-a-hundred bug with ~95% probability (PROPERTY_RUNS overrides).
 */
const runs = Number(process.env.PROPERTY_RUNS ?? 300);

describe('the four derivations agree on random worlds (real PostgreSQL)', () => {
  let t: TestDatabase;
  let worldNo = 0;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  async function pageThrough(
    p: Principal,
    limit: number,
    filter: ChatListFilter,
    tuning?: ListTuning,
  ) {
    const items: ChatListItem[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page = await listVisibleChats(t.db, p, { limit, cursor, filter }, tuning);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return { ids: items.map((i) => i.id), items };
      expect(page.items.length).toBe(limit);
    }
    throw new Error('more than 100 pages');
  }

  it(`list = check, audience = check, nothing crosses workspaces (${runs} worlds)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const world: World = makeWorld(seed, `w${worldNo++}_`);
        await insertWorld(t.db, world);
        const r = rng(seed ^ 0x5eed);
        const allChats = world.workspaces.flatMap((w) => w.chats);

        for (const ws of world.workspaces) {
          const loaded = await loadWorkspaceAccess(t.db, ws.facts.workspaceId);
          const loadedChats = await loadChatFacts(
            t.db,
            ws.facts.workspaceId,
            allChats.map((c) => c.id),
          );
          // Chats of the other workspace are not even loadable from this one.
          expect(loadedChats.map((c) => c.id).sort()).toEqual(ws.chats.map((c) => c.id).sort());

          const dbPrincipals = buildPrincipals(loaded);
          for (const member of ws.facts.members) {
            const expected = buildPrincipal(ws.facts, member.userId);
            const actual = dbPrincipals.find((p) => p.userId === member.userId);
            if (!expected || !actual) throw new Error('member without a principal');
            expect(actual.levels).toEqual(expected.levels);
            expect([...actual.teamIds].sort()).toEqual([...expected.teamIds].sort());

            // Derivation 2: the list query returns exactly what check allows, in order, across pages.
            const filters: ChatListFilter[] = [{}];
            const f = r.next();
            if (f < 0.25) filters.push({ assignee: { type: 'me' } });
            else if (f < 0.5) filters.push({ assignee: { type: 'unassigned' } });
            else if (f < 0.75)
              filters.push({ assignee: { type: 'user', userId: r.pick(ws.facts.members).userId } });
            else if (ws.facts.teams.length) {
              filters.push({
                assigneeTeamIds: teamAndSubteams(ws.facts, r.pick(ws.facts.teams).id),
              });
            }
            // Derivation 5: the same scope as one condition per chat (what reassignment decides
            // an heir's chats with) holds for exactly the chats check allows.
            const { rows: matching } = await sql<{ chat_id: string }>`
              select a.chat_id from chat_assignments a left join chats c on c.id = a.chat_id
              where a.workspace_id in (${sql.join(world.workspaces.map((w) => w.facts.workspaceId))})
                and ${visibleCondition(actual)}`.execute(t.db);
            expect(
              matching.map((m) => m.chat_id).sort(),
              `condition for ${member.userId} (${member.role}, ${member.status}, ${JSON.stringify(member.restrictions)})`,
            ).toEqual(
              allChats
                .filter((c) => allows(expected, 'chat.view', c))
                .map((c) => c.id)
                .sort(),
            );
            // Derivation 6: the badges, from the counters the database keeps, count exactly
            // the chats check allows (all, unassigned among them, assigned to the user).
            const seen = allChats.filter((c) => allows(expected, 'chat.view', c));
            const want = {
              all: seen.length,
              unassigned: seen.filter((c) => c.assignee === null).length,
              mine: seen.filter(
                (c) => c.assignee?.type === 'user' && c.assignee.userId === member.userId,
              ).length,
            };
            const who = `counts for ${member.userId}`;
            expect(await countVisibleChats(t.db, actual), who).toEqual(want);
            // With every scope counted as broad (broadKeys 0): the first call registers the
            // scope's own counter, the second reads it.
            expect(await countVisibleChats(t.db, actual, { broadKeys: 0 }), who).toEqual(want);
            expect(await countVisibleChats(t.db, actual, { broadKeys: 0 }), who).toEqual(want);
            for (const filter of filters) {
              const want = allChats
                .filter(
                  (c) => allows(expected, 'chat.view', c) && matchesListFilter(expected, filter, c),
                )
                .sort(byRecency)
                .map((c) => c.id);
              const limit = r.int(1, 7);
              const { ids: got, items } = await pageThrough(actual, limit, filter);
              const who = `user ${member.userId} (${member.role}, ${member.status}, ${JSON.stringify(member.restrictions)}) filter ${JSON.stringify(filter)}`;
              expect(got, who).toEqual(want);
              // The time-ordered walk for broad scopes, forced on every scope, with a walk so
              // short that pages often fall back to the union half-way through the list.
              const walked = await pageThrough(actual, limit, filter, {
                manyKeys: 0,
                walkRows: r.int(1, 12),
              });
              expect(walked.ids, `${who}, walked`).toEqual(want);
              // Tenancy: nothing from the other workspace, ever.
              expect(got.every((id) => ws.chats.some((c) => c.id === id))).toBe(true);
              // Derivation 4: a masked user receives no phone or email, in any string field.
              if (actual.maskContactIdentifiers) {
                const strings = allStrings(redact(actual, items));
                for (const chat of allChats) {
                  for (const s of strings) {
                    expect(s.replace(/\D/g, '')).not.toContain(chat.phone.replace(/\D/g, ''));
                    expect(s.toLowerCase()).not.toContain(chat.email);
                  }
                }
              }
            }
          }

          // Derivation 3: the audience of each chat is exactly the users check allows.
          for (const chat of loadedChats) {
            const generated = ws.chats.find((c) => c.id === chat.id);
            if (!generated) throw new Error('chat lost');
            for (const action of ['chat.view', 'chat.reply'] as const) {
              const got = audience(dbPrincipals, action, chat)
                .map((p) => p.userId)
                .sort();
              const want = ws.facts.members
                .filter((m) => {
                  const p = buildPrincipal(ws.facts, m.userId);
                  return p !== undefined && allows(p, action, generated);
                })
                .map((m) => m.userId)
                .sort();
              expect(got, `${action} audience of ${chat.id}`).toEqual(want);
            }
          }
        }
      }),
      { numRuns: runs },
    );
  }, 600_000);
});

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.values(value).flatMap(allStrings);
  return [];
}
