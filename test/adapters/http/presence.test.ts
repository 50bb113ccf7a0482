import { describe, expect, it } from 'vitest';
import { createPresence } from '../../../src/adapters/http/presence.js';

/** "Last seen" follows use without a write per request: one a minute per member at most. */
describe('presence', () => {
  it('writes at most once per interval per member, and each presence object keeps its own memory', async () => {
    let now = new Date('2026-12-01T10:00:00Z');
    const writes: Array<[string, string, string]> = [];
    const make = () =>
      createPresence({
        now: () => now,
        record: (ws, userId, at) => {
          writes.push([ws, userId, at.toISOString()]);
          return Promise.resolve();
        },
      });
    const presence = make();
    await presence.seen('ws', 'alice');
    await presence.seen('ws', 'alice');
    await presence.seen('ws', 'bob');
    await presence.seen('ws2', 'alice');
    expect(writes).toHaveLength(3);
    now = new Date(now.getTime() + 59_000);
    await presence.seen('ws', 'alice');
    expect(writes).toHaveLength(3);
    now = new Date(now.getTime() + 1_000);
    await presence.seen('ws', 'alice');
    expect(writes.at(-1)).toEqual(['ws', 'alice', '2026-12-01T10:01:00.000Z']);
    // A second server (or test) starts with no memory: its first sight writes.
    await make().seen('ws', 'alice');
    expect(writes).toHaveLength(5);
  });
});
