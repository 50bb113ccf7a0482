import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  check,
  type AccessFactsSource,
  type AssigneeRef,
  type ChatFacts,
  type MembershipStatus,
  type TeamStatus,
} from '../../../src/core/access/index.js';
import {
  assignChat,
  type AssignmentAudit,
  type AssignmentStore,
} from '../../../src/core/chats/assign-chat.js';
import { AppError } from '../../../src/core/errors.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import { routeChat } from '../../../src/core/routing/index.js';
import {
  T,
  U,
  WS,
  chatOn,
  hqAccount,
  world,
  type UserKey,
  type WorldOptions,
} from '../access/world.js';
import { routeInput, rule, silentRoles } from '../routing/fixtures.js';

/**
 * `assignChat` on in-memory fakes of its ports: who may assign is `check`'s `chat.assign`, to
 * whom is the access policy's (`assigneeRefusal`), re-checked under the member's row lock; the
 * change and its audit entry commit together. Routing and assignment agree on which teams and
 * members may take chats.
 */
type Tx = { writes: string[] };

function fakes(
  chat: ChatFacts,
  o: WorldOptions & {
    lockedStatus?: MembershipStatus;
    memberRole?: Partial<Record<UserKey, string>>;
  } = {},
) {
  const base = world(o);
  const facts = {
    ...base,
    members: base.members.map((m) => {
      const key = (Object.keys(U) as UserKey[]).find((k) => U[k] === m.userId);
      const role = key ? o.memberRole?.[key] : undefined;
      return role ? { ...m, role } : m;
    }),
  };
  let assignee: AssigneeRef = chat.assignee;
  const committed: string[] = [];
  const audits: AssignmentAudit[] = [];
  const events: SwitchboardEvent[] = [];
  const access: AccessFactsSource = {
    workspaceAccess: () => Promise.resolve(facts),
    chatFacts: (ws, ids) =>
      Promise.resolve(ws === chat.workspaceId && ids.includes(chat.id) ? [chat] : []),
  };
  const store: AssignmentStore<Tx> = {
    async transaction(work) {
      const tx: Tx = { writes: [] };
      const result = await work(tx);
      committed.push(...tx.writes);
      return result;
    },
    lockMemberStatus: (tx, _ws, userId) => {
      tx.writes.push(`lock member ${userId}`);
      return Promise.resolve(
        o.lockedStatus ?? facts.members.find((m) => m.userId === userId)?.status,
      );
    },
    lockAssignee: (tx, chatId) => {
      tx.writes.push(`lock chat ${chatId}`);
      return Promise.resolve(assignee);
    },
    setAssignee: (tx, _chatId, target) => {
      tx.writes.push('set');
      assignee = target;
      return Promise.resolve();
    },
    audit: (tx, entry) => {
      tx.writes.push('audit');
      audits.push(entry);
      return Promise.resolve();
    },
    summary: (_ws, chatId) =>
      Promise.resolve({
        id: chatId,
        channelId: chat.channelId,
        externalId: 'ext',
        contact: { id: 'ct', name: 'Cus', phone: null, email: null },
        assignee,
        lastMessageAt: new Date(0),
        lastMessagePreview: '',
      }),
  };
  const deps = {
    access,
    store,
    events: { publish: (e: SwitchboardEvent) => Promise.resolve(void events.push(e)) },
  };
  const as = (key: UserKey) => {
    const p = buildPrincipal(facts, U[key]);
    if (!p) throw new Error(key);
    return p;
  };
  return { deps, as, committed, audits, events, assignee: () => assignee };
}

const thrown = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('it did not throw');
};

describe('assignChat', () => {
  it('assigns under the locks, audits before and after in the same transaction, then announces', async () => {
    const chat = chatOn(hqAccount, { assignee: { type: 'team', teamId: T.support } });
    const f = fakes(chat);
    await assignChat(f.deps, {
      principal: f.as('admin'),
      chatId: chat.id,
      target: { type: 'user', userId: U.agent },
    });
    expect(f.committed).toEqual([`lock member ${U.agent}`, `lock chat ${chat.id}`, 'set', 'audit']);
    expect(f.audits).toEqual([
      {
        workspaceId: WS,
        actorUserId: U.admin,
        chatId: chat.id,
        before: { type: 'team', teamId: T.support },
        after: { type: 'user', userId: U.agent },
      },
    ]);
    expect(f.events).toEqual([{ type: 'chat.assignee_changed', workspaceId: WS, chatId: chat.id }]);
    const after = await assignChat(f.deps, {
      principal: f.as('admin'),
      chatId: chat.id,
      target: null,
    });
    expect(after.assignee).toBeNull();
  });

  it('§3.2 only those allowed chat.assign on the chat assign it: forbidden with check’s reason', async () => {
    const chat = chatOn(hqAccount, { assignee: { type: 'user', userId: U.collaborator } });
    const f = fakes(chat);
    const collaborator = f.as('collaborator');
    const error = await thrown(
      assignChat(f.deps, { principal: collaborator, chatId: chat.id, target: null }),
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('forbidden');
    const reason = check(collaborator, 'chat.assign', chat).reasons.at(-1) ?? '';
    expect(error.message).toBe(`you may not assign this chat: ${reason}`);
    expect(f.committed).toEqual([]);
  });

  it('a chat the caller may not see is not found', async () => {
    const chat = chatOn(hqAccount);
    const f = fakes(chat);
    expect(
      (
        await thrown(
          assignChat(f.deps, { principal: f.as('agent'), chatId: chat.id, target: null }),
        )
      ).code,
    ).toBe('not_found');
  });

  it('§3.2 the assignee must be an active member who can see assigned chats', async () => {
    const chat = chatOn(hqAccount);
    const suspended = fakes(chat, { status: { sam: 'suspended' } });
    const toSam = { type: 'user', userId: U.sam } as const;
    const e1 = await thrown(
      assignChat(suspended.deps, {
        principal: suspended.as('owner'),
        chatId: chat.id,
        target: toSam,
      }),
    );
    expect(e1.code).toBe('invalid_input');
    const noView = fakes(chat, {
      roles: [silentRoles.nobody],
      memberRole: { sam: silentRoles.nobody.id },
    });
    const e2 = await thrown(
      assignChat(noView.deps, { principal: noView.as('owner'), chatId: chat.id, target: toSam }),
    );
    expect(e2.code).toBe('invalid_input');
    expect(suspended.committed).toEqual([]);
    expect(noView.committed).toEqual([]);
  });

  it('a member revoked while the assignment waited for the lock is refused, and nothing changes', async () => {
    const chat = chatOn(hqAccount);
    const f = fakes(chat, { lockedStatus: 'revoked' });
    const error = await thrown(
      assignChat(f.deps, {
        principal: f.as('owner'),
        chatId: chat.id,
        target: { type: 'user', userId: U.sam },
      }),
    );
    expect(error.code).toBe('invalid_input');
    expect(f.committed).toEqual([]);
    expect(f.assignee()).toBeNull();
  });

  // PRODUCT.md §2: a suspended or deleted team's queue goes to HQ. So such a team takes no
  // chats, by hand or by routing; an active team takes them both ways.
  it.each<[TeamStatus, boolean]>([
    ['active', true],
    ['suspended', false],
    ['deleted', false],
  ])(
    '§2 routing and assignment agree: a team that is %s takes chats: %s',
    async (status, takes) => {
      const options: WorldOptions = { teamStatus: { support: status } };
      const chat = chatOn(hqAccount);
      const f = fakes(chat, options);
      const assigned = assignChat(f.deps, {
        principal: f.as('owner'),
        chatId: chat.id,
        target: { type: 'team', teamId: T.support },
      });
      if (takes) await assigned;
      else expect((await thrown(assigned)).code).toBe('invalid_input');

      const routed = routeChat(
        routeInput({
          world: options,
          rules: [
            rule({
              name: 'to Support',
              enabled: true,
              conditions: [],
              target: { type: 'team', teamId: T.support },
              strategy: 'round_robin',
              stickyFallback: 'least_open',
            }),
          ],
        }),
      );
      // Otto, Support's only member, is an Agent: he cannot answer HQ's account, so an active
      // Support keeps the chat in its queue; an inactive one leaves it to HQ.
      expect(routed.target).toEqual(takes ? { type: 'team', teamId: T.support } : null);
    },
  );
});
