import { sql } from 'kysely';
import { visibleCondition } from '../../src/adapters/db/access/list-visible-chats.js';
import { WorkspaceAccessCache } from '../../src/adapters/db/access/access-cache.js';
import { accessFactsSource } from '../../src/adapters/db/access/load-access.js';
import type { Database } from '../../src/adapters/db/database.js';
import { countVisibleChats, type ChatCounts } from '../../src/adapters/db/access/count-chats.js';
import {
  audience,
  listAudience,
  type AccessFactsSource,
  type Principal,
} from '../../src/core/access/index.js';
import { percentile } from '../stats.js';
import { prng, type WorldSample } from './world.js';

/**
 * Audience ("who can see chat C?") and badge counts.
 *
 * Audience three ways: in process over the workspace's cached principals (what the event fan-out
 * does); the `listAudience` use case end to end through the access cache the server uses (one
 * version read and the chat's facts from PostgreSQL per call, as `GET .../chats/:id/audience`);
 * and the same with the facts loaded and every principal rebuilt per call — what each call costs
 * right after an access change, and what every call cost before the cache.
 *
 * Counts for the badges — mine, unassigned in their scope, everything they may see.
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
  world: WorldSample,
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
  // Each of these rebuilds every principal (~0.1–0.3 s at 1M): 50 calls are enough.
  const uncached = await endToEnd(
    accessFactsSource(db),
    Math.min(50, Math.max(10, Math.floor(times / 5))),
  );
  return {
    inProcess: spread(inProcess),
    endToEnd: spread(cached),
    uncached: spread(uncached),
    meanAudience: total / (times + 5),
  };
}

/**
 * Badge counts for one user: `countVisibleChats` (what `GET .../chats/counts` runs, from the
 * counters the database keeps) beside plain `count(*)` over the same scope condition, the way
 * counting works without counters. Both must give the same three numbers before any timing.
 */
export async function countsWorkload(
  db: Database,
  principal: Principal,
  times: number,
): Promise<{ counters: Spread; countStar: Spread; counted: ChatCounts; firstMs: number }> {
  const ws = principal.workspaceId;
  const countStar = sql<{ mine: string; unassigned: string; all: string }>`
    select count(*) filter (where a.user_id = ${principal.userId}) as mine,
           count(*) filter (where a.user_id is null and a.team_id is null) as unassigned,
           count(*) as all
    from chat_assignments a
    where a.workspace_id = ${ws} and ${visibleCondition(principal)}`;
  const started = performance.now();
  // The first call of a broad scope also registers and fills its own counter (migration 0010).
  const counted = await countVisibleChats(db, principal);
  const first = performance.now() - started;
  const row = (await countStar.execute(db)).rows[0];
  const plain = {
    mine: Number(row?.mine),
    unassigned: Number(row?.unassigned),
    all: Number(row?.all),
  };
  if (JSON.stringify(plain) !== JSON.stringify(counted))
    throw new Error(
      `counts disagree for ${principal.userId}: counters ${JSON.stringify(counted)}, count(*) ${JSON.stringify(plain)}`,
    );
  return {
    counters: spread(await timed(() => countVisibleChats(db, principal), times)),
    countStar: spread(
      await timed(() => countStar.execute(db), Math.max(5, Math.floor(times / 10))),
    ),
    counted,
    firstMs: first,
  };
}
