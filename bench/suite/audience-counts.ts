import { sql } from 'kysely';
import { visibleCondition } from '../../src/adapters/db/access/list-visible-chats.js';
import { WorkspaceAccessCache } from '../../src/adapters/db/access/access-cache.js';
import { accessFactsSource } from '../../src/adapters/db/access/load-access.js';
import type { Database } from '../../src/adapters/db/database.js';
import {
  audience,
  listAudience,
  type AccessFactsSource,
  type Principal,
} from '../../src/core/access/index.js';
import { percentile } from '../stats.js';
import { prng, type BenchWorld } from './world.js';

/**
 * Audience ("who can see chat C?") and badge counts.
 *
 * Audience three ways: in process over the workspace's cached principals (what the event fan-out
 * does); the `listAudience` use case end to end through the access cache the server uses (one
 * version read and the chat's facts from PostgreSQL per call, as `GET .../chats/:id/audience`);
 * and the same with the facts loaded and every principal rebuilt per call — what each call costs
 * right after an access change, and what every call cost before the cache.
 *
 * Counts for a Teammate's badges — mine, unassigned in their scope, everything they may see —
 * as plain SQL over the same scope condition the list uses. Switchboard keeps no counters: these
 * figures show what counting costs without them.
 */
export interface Spread {
  p50: number;
  p95: number;
  p99: number;
}

const spread = (values: number[]): Spread => ({
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  p99: percentile(values, 99),
});

async function timed(run: () => unknown, times: number): Promise<number[]> {
  for (let i = 0; i < 5; i++) await run();
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await run();
    out.push(performance.now() - started);
  }
  return out;
}

export async function audienceWorkload(
  db: Database,
  world: BenchWorld,
  principals: readonly Principal[],
  times: number,
): Promise<{ inProcess: Spread; endToEnd: Spread; uncached: Spread; meanAudience: number }> {
  const random = prng(world.seed ^ 0xa0d1e);
  const pick = () => world.chats[Math.floor(random() * world.chats.length)] ?? world.chats[0];
  let total = 0;
  const inProcess = await timed(() => {
    const chat = pick();
    if (chat) total += audience(principals, 'chat.view', chat).length;
  }, times);
  const endToEnd = (access: AccessFactsSource, n: number) =>
    timed(async () => {
      const chat = pick();
      if (chat)
        await listAudience(
          { access },
          { workspaceId: world.facts.workspaceId, chatId: chat.id, action: 'chat.view' },
        );
    }, n);
  const cached = await endToEnd(new WorkspaceAccessCache(db), times);
  const uncached = await endToEnd(accessFactsSource(db), Math.max(10, Math.floor(times / 5)));
  return {
    inProcess: spread(inProcess),
    endToEnd: spread(cached),
    uncached: spread(uncached),
    meanAudience: total / (times + 5),
  };
}

export async function countsWorkload(
  db: Database,
  teammate: Principal,
  times: number,
): Promise<{ mine: Spread; unassigned: Spread; all: Spread; counted: Record<string, number> }> {
  const ws = teammate.workspaceId;
  const mine = sql<{ n: string }>`
    select count(*) as n from chat_assignments a where a.workspace_id = ${ws} and a.user_id = ${teammate.userId}`;
  const unassigned = sql<{ n: string }>`
    select count(*) as n from chat_assignments a join chats c on c.id = a.chat_id
    where a.workspace_id = ${ws} and a.user_id is null and a.team_id is null and ${visibleCondition(teammate)}`;
  const all = sql<{ n: string }>`
    select count(*) as n from chats c join chat_assignments a on a.chat_id = c.id
    where c.workspace_id = ${ws} and ${visibleCondition(teammate)}`;
  const counted: Record<string, number> = {};
  for (const [name, query] of Object.entries({ mine, unassigned, all }))
    counted[name] = Number((await query.execute(db)).rows[0]?.n ?? 0);
  return {
    mine: spread(await timed(() => mine.execute(db), times)),
    unassigned: spread(await timed(() => unassigned.execute(db), times)),
    all: spread(await timed(() => all.execute(db), Math.max(5, Math.floor(times / 5)))),
    counted,
  };
}
