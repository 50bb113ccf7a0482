import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/core/access/index.js';
import {
  runReassignJob,
  type ReassignJobInput,
  type ReassignStore,
  type Walk,
} from '../../../src/core/people/reassign-chats.js';

/**
 * The reassignment walk against an in-memory store whose chats change while it runs: new
 * messages move chats to the front of the walk's order (past its cursor), admins reassign
 * chats away. Whatever the interleaving, no chat is left with the member, nothing reassigned
 * meanwhile is taken back, and every chat is counted once.
 */
interface Chat {
  id: string;
  assignee: string | null;
  at: number;
  /** What `allows(heir, 'chat.view', chat)` says in the store this fake stands for. */
  heirMaySee: boolean;
}

const input: ReassignJobInput = {
  jobId: 'job',
  workspaceId: 'w',
  fromUserId: 'leaver',
  toUserId: null,
};

const hash = (id: string) => [...id].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7);
const inLane = (chat: Chat, walk: Walk) => hash(chat.id) % walk.lanes === walk.lane;
/** Newest first, like chats_assignee_user_recent. */
const order = (a: Chat, b: Chat) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const isAfter = (chat: Chat, cursor: Chat) => order(cursor, chat) < 0;

type Disturbance = { kind: 'message' | 'reassign'; pick: number };

function memoryStore(
  chats: Map<string, Chat>,
  disturbances: Disturbance[],
  heir: Principal | undefined,
) {
  let clock = 1_000_000;
  const moved: string[] = [];
  /** Between a batch's read and its write, someone else acts. */
  const disturb = () => {
    const d = disturbances.shift();
    if (!d) return;
    const mine = [...chats.values()].filter((c) => c.assignee === input.fromUserId);
    const chat = mine[d.pick % Math.max(1, mine.length)];
    if (!chat) return;
    if (d.kind === 'message') chat.at = ++clock;
    else chat.assignee = 'someone-else';
  };
  const take = (walk: Walk) => {
    const cursor = walk.after ? (JSON.parse(walk.after) as Chat) : undefined;
    return [...chats.values()]
      .filter((c) => c.assignee === input.fromUserId && inLane(c, walk))
      .filter((c) => !cursor || isAfter(c, cursor))
      .sort(order)
      .slice(0, walk.size);
  };
  const store: ReassignStore = {
    start: () => Promise.resolve({ state: 'active', total: 0 }),
    heir: () => Promise.resolve(heir),
    moveNext(_input, walk, heirGiven) {
      const taken = take(walk).map((c) => ({ ...c }));
      disturb();
      const done = { toHeir: 0, unassigned: 0 };
      for (const t of taken) {
        const chat = chats.get(t.id);
        if (chat?.assignee !== input.fromUserId) continue;
        if (heirGiven && chat.heirMaySee) {
          chat.assignee = heirGiven.userId;
          done.toHeir++;
        } else {
          chat.assignee = null;
          done.unassigned++;
        }
        moved.push(chat.id);
      }
      const last = taken.at(-1);
      return Promise.resolve({
        items: { taken: taken.length, ...done },
        after: last ? JSON.stringify(last) : null,
      });
    },
  };
  return { store, moved };
}

describe('runReassignJob', () => {
  it('leaves no chat with the member, whatever changes while it walks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.array(
          fc.record({
            kind: fc.constantFrom('message' as const, 'reassign' as const),
            pick: fc.nat(),
          }),
          { maxLength: 40 },
        ),
        async (count, size, lanes, withHeir, disturbances) => {
          const chats = new Map<string, Chat>();
          for (let i = 0; i < count; i++) {
            const id = `c${i}`;
            // Some share a timestamp: ties are broken by id.
            chats.set(id, {
              id,
              assignee: i % 7 === 0 ? 'other' : 'leaver',
              at: i % 5 === 0 ? 0 : i,
              heirMaySee: i % 3 === 0,
            });
          }
          const before = new Set(
            [...chats.values()].filter((c) => c.assignee === 'leaver').map((c) => c.id),
          );
          const heir = withHeir ? ({ userId: 'heir' } as Principal) : undefined;
          const { store, moved } = memoryStore(chats, [...disturbances], heir);
          const result = await runReassignJob(store, input, { batchSize: size, lanes });

          expect([...chats.values()].filter((c) => c.assignee === 'leaver')).toEqual([]);
          // Each chat moved once, and only chats that were the member's.
          expect(new Set(moved).size).toBe(moved.length);
          for (const id of moved) expect(before.has(id)).toBe(true);
          expect(result.moved).toBe(moved.length);
          const toHeir = [...chats.values()].filter((c) => c.assignee === 'heir');
          expect(toHeir.every((c) => c.heirMaySee)).toBe(true);
          if (!heir) expect(toHeir).toEqual([]);
          expect(result.toHeir).toBe(toHeir.length);
          expect(result.unassigned).toBe(moved.length - toHeir.length);
          // Reassigned meanwhile: kept by whoever has them now.
          const away = [...chats.values()].filter((c) => c.assignee === 'someone-else');
          for (const chat of away) expect(moved).not.toContain(chat.id);
          expect(moved.length + away.length).toBe(before.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does nothing for a job already completed', async () => {
    const store = {
      start: () => Promise.resolve({ state: 'completed', total: 10 }),
    } as unknown as ReassignStore;
    expect(await runReassignJob(store, input)).toEqual({ moved: 0, toHeir: 0, unassigned: 0 });
  });
});
