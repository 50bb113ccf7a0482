import { sql, type RawBuilder } from 'kysely';
import {
  decodeCursor,
  listVisibleChats,
  visibleChatsQuery,
  walkedChatsQuery,
  visibleCondition,
} from '../../src/adapters/db/access/list-visible-chats.js';
import { PREPARED, type Database } from '../../src/adapters/db/database.js';
import type { Principal } from '../../src/core/access/index.js';
import { percentile } from '../stats.js';

/**
 * The list workload: "the newest 50 chats U may see", first page and page 21 (a keyset cursor
 * 1,000 chats deep), for each named user. Switchboard's per-branch union against the
 * single-`OR` query an authorization library's rules-to-query produces (CASL's rulesToQuery: one
 * WHERE with every rule's condition OR-ed, over the global time order), both on the same
 * database; rows examined come from EXPLAIN ANALYZE.
 */
export interface ListMeasure {
  user: string;
  page: 1 | 21;
  switchboard: { p50: number; p99: number; rowsExamined: number };
  singleOr: { p50: number; p99: number; rowsExamined: number };
  singleOrCovered: { p50: number; p99: number; rowsExamined: number };
}

const LIMIT = 50;

/**
 * The single-OR baseline as a rules-to-query conversion writes it: the whole scope as one
 * condition on the chat (and its assignment), over the chats in time order. Switchboard's schema
 * keeps no time index on `chats` any more, so the suite creates the one this query needs
 * (`createBaselineIndexes`). It returns only ids; Switchboard's figures include the page's chats
 * and contacts.
 */
export function singleOrQuery(p: Principal, cursor: string | null): RawBuilder<{ id: string }> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  return sql<{ id: string }>`
    select c.id, c.last_message_at from chats c join chat_assignments a on a.chat_id = c.id
    where c.workspace_id = ${p.workspaceId} and ${visibleCondition(p)}
      ${after ? sql`and (c.last_message_at, c.id) < (${after.at}::timestamptz, ${after.id})` : sql``}
    order by c.last_message_at desc, c.id desc limit ${LIMIT + 1}`;
}

/**
 * The strongest single-OR: the same condition over Switchboard's own covering index of the
 * workspace's time order (`chat_assignments_recent`), an index-only scan — what the list's walk
 * for broad scopes is, without its cap. Printed beside the other; the target is set against
 * the conversion's query.
 */
export function singleOrCoveredQuery(
  p: Principal,
  cursor: string | null,
): RawBuilder<{ id: string }> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  return sql<{ id: string }>`
    select a.chat_id as id, a.last_message_at from chat_assignments a
    where a.workspace_id = ${p.workspaceId} and ${visibleCondition(p)}
      ${after ? sql`and (a.last_message_at, a.chat_id) < (${after.at}::timestamptz, ${after.id})` : sql``}
    order by a.last_message_at desc, a.chat_id desc limit ${LIMIT + 1}`;
}

/** The index `singleOrQuery` walks, in the bench's own database. */
export async function createBaselineIndexes(db: Database): Promise<void> {
  await sql`create index if not exists bench_chats_workspace_recent
            on chats (workspace_id, last_message_at desc, id desc)`.execute(db);
  await sql`analyze chats`.execute(db);
}

/** The cursor of page `page` (null for page 1), found by paging through Switchboard's list. */
async function cursorOfPage(db: Database, p: Principal, page: number): Promise<string | null> {
  let cursor: string | null = null;
  for (let i = 1; i < page; i++) {
    const result = await listVisibleChats(db, p, { limit: LIMIT, cursor });
    cursor = result.nextCursor;
    if (!cursor) return null;
  }
  return cursor;
}

/** Up to `times` runs after a warm-up, stopping early (after at least 5) once `budgetMs` is spent. */
async function timed(
  run: () => Promise<unknown>,
  times: number,
  budgetMs: number,
): Promise<number[]> {
  const started = performance.now();
  // Warm: every pooled connection has prepared the statement and settled on its plan
  // (PostgreSQL plans a prepared statement afresh for its first five runs).
  for (let i = 0; i < 30 && (i < 3 || performance.now() < started + budgetMs); i++) await run();
  const out: number[] = [];
  const until = performance.now() + budgetMs;
  for (let i = 0; i < times && (i < 5 || performance.now() < until); i++) {
    const started = performance.now();
    await run();
    out.push(performance.now() - started);
  }
  return out;
}

interface PlanNode {
  'Node Type': string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows the scans of a plan read: what they returned plus what their filters threw away. */
function rowsExamined(node: PlanNode): number {
  const loops = node['Actual Loops'] ?? 1;
  const own = node['Node Type'].includes('Scan')
    ? ((node['Actual Rows'] ?? 0) +
        (node['Rows Removed by Filter'] ?? 0) +
        (node['Rows Removed by Index Recheck'] ?? 0)) *
      loops
    : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsExamined(child), 0);
}

async function explainRows(db: Database, query: RawBuilder<unknown>): Promise<number> {
  const compiled = query.compile(db);
  const { rows } = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({
    ...compiled,
    sql: `explain (analyze, format json) ${compiled.sql}`,
  });
  const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
  return plan ? Math.round(rowsExamined(plan)) : 0;
}

/**
 * Brings the process to the state of a server that has been answering for a while: the code
 * on the list's path compiled by V8's optimising tier, the pool's connections open. Without it
 * the first user measured paid for that (a bare loop of prepared `select 1`: p99 1.7 ms over
 * its first 2,000 calls, 0.2 ms over its third 2,000).
 */
export async function warmUp(
  db: Database,
  users: ReadonlyArray<{ principal: Principal }>,
  calls: number,
): Promise<void> {
  const selectOne = sql`${sql.raw(PREPARED)}select 1`;
  for (let i = 0; i < calls; i++) {
    const user = users[i % users.length];
    if (user) await listVisibleChats(db, user.principal, { limit: LIMIT });
    await selectOne.execute(db);
  }
}

export async function listWorkload(
  db: Database,
  users: ReadonlyArray<{ label: string; principal: Principal }>,
  options: { times: number; budgetMs: number },
): Promise<ListMeasure[]> {
  const out: ListMeasure[] = [];
  for (const { label, principal } of users) {
    for (const page of [1, 21] as const) {
      const cursor = await cursorOfPage(db, principal, page);
      if (page > 1 && !cursor) continue; // fewer than 21 pages: nothing to measure
      const union = visibleChatsQuery(principal, { limit: LIMIT, cursor });
      if (!union) continue;
      // The queries Switchboard runs for this page: a walk that fills it, or the union.
      const walk = walkedChatsQuery(principal, { limit: LIMIT, cursor });
      const walked = walk ? (await walk.execute(db)).rows : [];
      const ours = walk && walked.length > LIMIT ? [walk] : walk ? [walk, union] : [union];
      const theirs = singleOrQuery(principal, cursor);
      const covered = singleOrCoveredQuery(principal, cursor);
      // Same answer first: the baseline must list exactly what Switchboard lists.
      const a = (await listVisibleChats(db, principal, { limit: LIMIT, cursor })).items.map(
        (r) => r.id,
      );
      for (const baseline of [theirs, covered]) {
        const b = (await baseline.execute(db)).rows.map((r) => r.id).slice(0, LIMIT);
        if (a.join() !== b.join())
          throw new Error(`${label}, page ${page}: a single-OR query lists other chats`);
      }
      const switchboard = await timed(
        () => listVisibleChats(db, principal, { limit: LIMIT, cursor }),
        options.times,
        options.budgetMs,
      );
      const singleOr = await timed(() => theirs.execute(db), options.times, options.budgetMs);
      const singleOrCovered = await timed(
        () => covered.execute(db),
        options.times,
        options.budgetMs,
      );
      out.push({
        user: label,
        page,
        switchboard: {
          p50: percentile(switchboard, 50),
          p99: percentile(switchboard, 99),
          rowsExamined: (await Promise.all(ours.map((q) => explainRows(db, q)))).reduce(
            (x, y) => x + y,
            0,
          ),
        },
        singleOr: {
          p50: percentile(singleOr, 50),
          p99: percentile(singleOr, 99),
          rowsExamined: await explainRows(db, theirs),
        },
        singleOrCovered: {
          p50: percentile(singleOrCovered, 50),
          p99: percentile(singleOrCovered, 99),
          rowsExamined: await explainRows(db, covered),
        },
      });
    }
  }
  return out;
}

/**
 * What any query costs on this machine, for reading the list's p99 against: a prepared
 * `select 1` and a prepared primary-key lookup of one chat, round trip from this process.
 */
export async function roundTripFloor(
  db: Database,
  chatId: string,
  times: number,
): Promise<{ selectOne: { p50: number; p99: number }; byKey: { p50: number; p99: number } }> {
  const spreadOf = (values: number[]) => ({
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  });
  const selectOne = sql`${sql.raw(PREPARED)}select 1`;
  const byKey = sql`${sql.raw(PREPARED)}select id, last_message_at from chats where id = ${chatId}`;
  return {
    selectOne: spreadOf(await timed(() => selectOne.execute(db), times, 60_000)),
    byKey: spreadOf(await timed(() => byKey.execute(db), times, 60_000)),
  };
}
