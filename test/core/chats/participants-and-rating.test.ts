import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type AccessFactsSource,
  type ChatFacts,
  type MembershipStatus,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { addParticipant } from '../../../src/core/chats/add-participant.js';
import type { ChatActionsStore, RatingRecord } from '../../../src/core/chats/chat-actions-store.js';
import { rateChat } from '../../../src/core/chats/rate-chat.js';
import { isAppError } from '../../../src/core/errors.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import {
  U,
  WS,
  chatOn,
  hqAccount,
  toTeam,
  toUser,
  userAccount,
  world,
  type UserKey,
} from '../access/world.js';

/**
 * Adding a participant and rating a chat on in-memory fakes of their ports. Who may add whom
 * is the access policy's (`requireParticipantAction`: yourself is `chat.join`, a colleague is
 * `chat.assign`); the participant's membership is read under its row lock, which the fake
 * store may report as changed since the cached facts.
 */
const viewer = { id: 'role-viewer', name: 'Viewer', permissions: { 'chat.view': 'all' } };

function fakes(chat: ChatFacts, o: { locked?: Partial<Record<UserKey, MembershipStatus>> } = {}) {
  const base = world({ roles: [viewer] });
  // Sam sees every chat and may do nothing else with them (a custom role of chat.view only).
  const facts: WorkspaceAccessFacts = {
    ...base,
    members: base.members.map((m) => (m.userId === U.sam ? { ...m, role: viewer.id } : m)),
  };
  const access: AccessFactsSource = {
    workspaceAccess: () => Promise.resolve(facts),
    chatFacts: (ws, ids) =>
      Promise.resolve(ws === chat.workspaceId && ids.includes(chat.id) ? [chat] : []),
  };
  const participants: Array<{ chatId: string; userId: string; addedBy: string }> = [];
  const ratings: Array<RatingRecord & { userId: string; chatId: string }> = [];
  const locks: string[] = [];
  const store: ChatActionsStore = {
    async transaction(work) {
      const pending: Array<() => void> = [];
      const result = await work({
        lockMemberStatus: (_ws, userId) => {
          locks.push(userId);
          const key = (Object.keys(U) as UserKey[]).find((k) => U[k] === userId);
          return Promise.resolve(
            (key && o.locked?.[key]) ?? facts.members.find((m) => m.userId === userId)?.status,
          );
        },
        addParticipant: ({ chatId, userId, addedBy }) => {
          if (!participants.some((p) => p.chatId === chatId && p.userId === userId))
            pending.push(() => participants.push({ chatId, userId, addedBy }));
          return Promise.resolve();
        },
      });
      for (const write of pending) write();
      return result;
    },
    insertRating: ({ chatId, userId, score, comment }) => {
      const rating = { id: `rat${ratings.length + 1}`, score, comment };
      ratings.push({ ...rating, chatId, userId });
      return Promise.resolve(rating);
    },
  };
  const published: SwitchboardEvent[] = [];
  const events = {
    publish: (e: SwitchboardEvent) => {
      published.push(e);
      return Promise.resolve();
    },
  };
  const as = (k: UserKey) => {
    const p = buildPrincipal(facts, U[k]);
    if (!p) throw new Error(k);
    return p;
  };
  return { deps: { access, store, events }, participants, ratings, locks, published, as };
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

describe('addParticipant', () => {
  it('joining yourself is chat.join; adding a colleague is chat.assign; each published once committed', async () => {
    const chat = chatOn(userAccount('agent'), { assignee: toUser('agent') });
    const f = fakes(chat);
    await addParticipant(f.deps, {
      actor: f.as('teammate'),
      workspaceId: WS,
      chatId: chat.id,
      userId: U.teammate,
    });
    await addParticipant(f.deps, {
      actor: f.as('agent'),
      workspaceId: WS,
      chatId: chat.id,
      userId: U.otto,
    });
    expect(f.participants).toEqual([
      { chatId: chat.id, userId: U.teammate, addedBy: U.teammate },
      { chatId: chat.id, userId: U.otto, addedBy: U.agent },
    ]);
    expect(f.locks).toEqual([U.teammate, U.otto]);
    expect(f.published).toEqual([
      { type: 'chat.participant_added', workspaceId: WS, chatId: chat.id },
      { type: 'chat.participant_added', workspaceId: WS, chatId: chat.id },
    ]);
  });

  it('a collaborator who sees the chat as a participant may neither add a colleague nor join (forbidden, the verb named)', async () => {
    const chat = chatOn(userAccount('sam'), {
      assignee: toUser('sam'),
      participants: ['collaborator'],
    });
    const f = fakes(chat);
    const adding = await refusal(
      addParticipant(f.deps, {
        actor: f.as('collaborator'),
        workspaceId: WS,
        chatId: chat.id,
        userId: U.otto,
      }),
    );
    expect(adding.code).toBe('forbidden');
    expect(adding.message).toContain('add people to');
    const joining = await refusal(
      addParticipant(f.deps, {
        actor: f.as('collaborator'),
        workspaceId: WS,
        chatId: chat.id,
        userId: U.collaborator,
      }),
    );
    expect(joining.code).toBe('forbidden');
    expect(joining.message).toContain('you may not join');
    expect(f.participants).toEqual([]);
    expect(f.published).toEqual([]);
  });

  it('Sam sees the chat but may not join it: forbidden, naming joining', async () => {
    const chat = chatOn(hqAccount, { assignee: toTeam('support') });
    const f = fakes(chat);
    const refused = await refusal(
      addParticipant(f.deps, {
        actor: f.as('sam'),
        workspaceId: WS,
        chatId: chat.id,
        userId: U.sam,
      }),
    );
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('you may not join this chat');
  });

  it('a chat the actor may not see, or of another workspace, is not found', async () => {
    const chat = chatOn(hqAccount, { assignee: toTeam('support') });
    const f = fakes(chat);
    const input = { actor: f.as('agent'), workspaceId: WS, chatId: chat.id, userId: U.agent };
    expect((await refusal(addParticipant(f.deps, input))).code).toBe('not_found');
    expect(
      (
        await refusal(
          addParticipant(f.deps, { ...input, actor: f.as('owner'), workspaceId: 'ws-x' }),
        )
      ).code,
    ).toBe('not_found');
  });

  it('the participant must be an active member, as their locked row says now (a suspension the cache missed counts)', async () => {
    const chat = chatOn(userAccount('agent'), { assignee: toUser('agent') });
    const f = fakes(chat, { locked: { otto: 'suspended' } });
    for (const userId of [U.otto, 'u-nobody']) {
      const refused = await refusal(
        addParticipant(f.deps, { actor: f.as('owner'), workspaceId: WS, chatId: chat.id, userId }),
      );
      expect(refused.code).toBe('invalid_input');
    }
    expect(f.participants).toEqual([]);
    expect(f.published).toEqual([]);
  });
});

describe('rateChat', () => {
  it('rates a chat the actor may rate; a comment is optional', async () => {
    const chat = chatOn(userAccount('sam'), {
      assignee: toUser('sam'),
      participants: ['collaborator'],
    });
    const f = fakes(chat);
    expect(
      await rateChat(f.deps, {
        actor: f.as('collaborator'),
        workspaceId: WS,
        chatId: chat.id,
        score: 5,
        comment: 'quick',
      }),
    ).toEqual({ id: 'rat1', score: 5, comment: 'quick' });
    expect(
      await rateChat(f.deps, { actor: f.as('owner'), workspaceId: WS, chatId: chat.id, score: 1 }),
    ).toEqual({ id: 'rat2', score: 1, comment: null });
    expect(f.ratings.map((r) => r.userId)).toEqual([U.collaborator, U.owner]);
  });

  it('seeing a chat is not rating it: forbidden; a chat not seen is not found; nothing stored', async () => {
    const chat = chatOn(hqAccount, { assignee: toTeam('support') });
    const f = fakes(chat);
    const refused = await refusal(
      rateChat(f.deps, { actor: f.as('sam'), workspaceId: WS, chatId: chat.id, score: 3 }),
    );
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('rate');
    expect(
      (
        await refusal(
          rateChat(f.deps, { actor: f.as('agent'), workspaceId: WS, chatId: chat.id, score: 3 }),
        )
      ).code,
    ).toBe('not_found');
    expect(f.ratings).toEqual([]);
  });

  it('a score outside 1–5, or not whole, is invalid input', async () => {
    const chat = chatOn(userAccount('agent'), { assignee: toUser('agent') });
    const f = fakes(chat);
    for (const score of [0, 6, 2.5]) {
      const refused = await refusal(
        rateChat(f.deps, { actor: f.as('agent'), workspaceId: WS, chatId: chat.id, score }),
      );
      expect(refused.code).toBe('invalid_input');
    }
    expect(f.ratings).toEqual([]);
  });
});
