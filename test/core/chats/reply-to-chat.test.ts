import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  check,
  type AccessFactsSource,
  type ChannelFacts,
  type ChatFacts,
} from '../../../src/core/access/index.js';
import {
  replyToChat,
  type NewReply,
  type ReplyChannel,
  type ReplyStore,
  type ReplyToChatDeps,
} from '../../../src/core/chats/reply-to-chat.js';
import { AppError } from '../../../src/core/errors.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import { U, WS, chatOn, hqAccount, userAccount, world, type UserKey } from '../access/world.js';

/**
 * `replyToChat` on in-memory fakes of its ports: the reply rule is the access engine's, the
 * reply and its delivery commit together or not at all, and a channel with nowhere to send
 * publishes its replies instead (issue 18).
 */
type Tx = { writes: string[] };

function fakes(
  chats: ChatFacts[],
  channels: Array<ChannelFacts & Partial<ReplyChannel>>,
  fail: { touchChat?: boolean; deliverSoon?: boolean } = {},
) {
  const facts = world();
  const committed: string[] = [];
  const messages: NewReply[] = [];
  const events: SwitchboardEvent[] = [];
  const nudged: string[] = [];
  const access: AccessFactsSource = {
    workspaceAccess: () => Promise.resolve(facts),
    chatFacts: (ws, ids) =>
      Promise.resolve(chats.filter((c) => c.workspaceId === ws && ids.includes(c.id))),
  };
  const store: ReplyStore<Tx> = {
    channel: (ws, id) => {
      const c = channels.find((x) => x.id === id && x.workspaceId === ws);
      return Promise.resolve(c && { type: 'webhook', hasOutboundUrl: true, ...c });
    },
    async transaction(work) {
      const tx: Tx = { writes: [] };
      const result = await work(tx);
      committed.push(...tx.writes);
      return result;
    },
    insertReply(tx, reply) {
      tx.writes.push(`message ${reply.id}`);
      messages.push(reply);
      return Promise.resolve({ ...reply });
    },
    touchChat(tx, reply) {
      if (fail.touchChat) return Promise.reject(new Error('the database went away'));
      tx.writes.push(`chat ${reply.chatId}`);
      return Promise.resolve();
    },
    queueDelivery(tx, reply) {
      tx.writes.push(`delivery ${reply.id}`);
      return Promise.resolve();
    },
  };
  const deps: ReplyToChatDeps<Tx> = {
    access,
    store,
    events: { publish: (e) => Promise.resolve(void events.push(e)) },
    now: () => new Date('2026-01-02T03:04:05Z'),
    deliverSoon: (id) =>
      fail.deliverSoon
        ? Promise.reject(new Error('the queue is down'))
        : Promise.resolve(void nudged.push(id)),
  };
  const as = (key: UserKey) => {
    const p = buildPrincipal(facts, U[key]);
    if (!p) throw new Error(key);
    return p;
  };
  return { deps, as, committed, messages, events, nudged };
}

const thrown = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('it did not throw');
};

describe('replyToChat', () => {
  const agentAccount = userAccount('agent');
  const own = chatOn(agentAccount);
  const hqAssigned = chatOn(hqAccount, { assignee: { type: 'user', userId: U.agent } });

  it('stores the reply and records its delivery in one transaction, then announces it', async () => {
    const f = fakes([own], [agentAccount]);
    const reply = await replyToChat(f.deps, {
      principal: f.as('agent'),
      chatId: own.id,
      text: '  On it!  ',
    });
    expect(reply).toMatchObject({
      chatId: own.id,
      channelId: agentAccount.id,
      authorUserId: U.agent,
      status: 'pending',
    });
    expect(f.committed).toEqual([`message ${reply.id}`, `chat ${own.id}`, `delivery ${reply.id}`]);
    expect(f.nudged).toEqual([reply.id]);
    expect(f.events).toEqual([
      { type: 'message.created', workspaceId: WS, chatId: own.id, messageId: reply.id },
    ]);
  });

  it('a failed immediate enqueue is not the reply’s failure: the delivery was recorded with it', async () => {
    const f = fakes([own], [agentAccount], { deliverSoon: true });
    const reply = await replyToChat(f.deps, {
      principal: f.as('agent'),
      chatId: own.id,
      text: 'x',
    });
    expect(f.committed).toContain(`delivery ${reply.id}`);
    expect(f.events).toHaveLength(1);
  });

  it('a transaction that fails stores nothing, queues nothing and announces nothing', async () => {
    const f = fakes([own], [agentAccount], { touchChat: true });
    await expect(
      replyToChat(f.deps, { principal: f.as('agent'), chatId: own.id, text: 'x' }),
    ).rejects.toThrow(/went away/);
    expect(f.committed).toEqual([]);
    expect(f.nudged).toEqual([]);
    expect(f.events).toEqual([]);
  });

  it('a webhook channel without outboundUrl takes the reply and publishes it: nothing to deliver', async () => {
    const f = fakes([own], [{ ...agentAccount, hasOutboundUrl: false }]);
    const reply = await replyToChat(f.deps, {
      principal: f.as('agent'),
      chatId: own.id,
      text: 'x',
    });
    expect(reply.status).toBe('sent');
    expect(f.committed).toEqual([`message ${reply.id}`, `chat ${own.id}`]);
    expect(f.nudged).toEqual([]);
    expect(f.events.map((e) => e.type)).toEqual(['message.created']);
  });

  it('§3.3 an Agent replies only through accounts they connected: forbidden with check’s reason', async () => {
    const f = fakes([hqAssigned], [hqAccount, agentAccount]);
    const agent = f.as('agent');
    const error = await thrown(
      replyToChat(f.deps, { principal: agent, chatId: hqAssigned.id, text: 'x' }),
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('forbidden');
    const reason = check(agent, 'chat.reply', hqAssigned).reasons.at(-1) ?? '';
    expect(error.message).toBe(`you may not reply to this chat: ${reason}`);
    expect(f.committed).toEqual([]);
    // …and answers the same chat through their own account.
    const reply = await replyToChat(f.deps, {
      principal: agent,
      chatId: hqAssigned.id,
      text: 'from my number',
      channelId: agentAccount.id,
    });
    expect(reply.channelId).toBe(agentAccount.id);
  });

  it('a chat the caller may not see, or an account of no one, is not found', async () => {
    const theirs = chatOn(userAccount('otto'));
    const f = fakes([own, theirs], [agentAccount, userAccount('otto')]);
    const hidden = await thrown(
      replyToChat(f.deps, { principal: f.as('agent'), chatId: theirs.id, text: 'x' }),
    );
    expect(hidden.code).toBe('not_found');
    const noChannel = await thrown(
      replyToChat(f.deps, {
        principal: f.as('agent'),
        chatId: own.id,
        text: 'x',
        channelId: 'ch-nowhere',
      }),
    );
    expect(noChannel.code).toBe('not_found');
    expect(f.committed).toEqual([]);
  });
});
