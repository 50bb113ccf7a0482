import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, openStream, signedHeaders, startApi, type RunningApi } from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * Routing of new inbound chats (PRODUCT.md §4) through the API: rules managed over HTTP, the
 * first matching rule picks a team or a user, round-robin / least-open with capacity / sticky
 * pick an eligible member, nobody eligible leaves the chat in the team's queue, no rule leaves
 * it in HQ's, every decision is explained on the chat, and the chosen responder's stream hears
 * of it while others do not.
 */
type Key = 'owner' | 'ann' | 'ben' | 'cid' | 'dora';

describe('routing new chats', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let ws = '';
  const token: Partial<Record<Key, string>> = {};
  const user: Partial<Record<Key, string>> = {};
  let teamId = '';
  let hq = { id: '', secret: '' };
  let n = 0;
  const as = (k: Key) => token[k] as string;

  /** A first message in a new chat; returns the chat as the Owner sees it. */
  async function newChat(text: string, contact: { name: string; phone?: string; email?: string }) {
    n++;
    const raw = JSON.stringify({
      messageId: `r${n}`,
      chatId: `chat-${n}`,
      contact,
      text,
      sentAt: new Date(Date.UTC(2026, 10, 22, 10, 0, n)).toISOString(),
    });
    const res = await call('POST', `/v1/inbound/webhook/${hq.id}`, {
      raw,
      headers: signedHeaders(hq.secret, raw),
    });
    expect(res.status).toBe(202);
    const list = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: as('owner') });
    const found = list.body.items.find((c: { externalId: string }) => c.externalId === `chat-${n}`);
    const chat = await call('GET', `/v1/workspaces/${ws}/chats/${found.id}`, {
      token: as('owner'),
    });
    return chat.body.chat;
  }

  async function addRule(body: object) {
    const res = await call('POST', `/v1/workspaces/${ws}/routing-rules`, {
      token: as('owner'),
      body,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.rule;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: {
        name: 'Route',
        workspace: { name: 'Desk' },
        owner: { email: 'o@r.test', name: 'Olga' },
      },
    });
    ws = org.body.workspace.id;
    token.owner = org.body.token;
    user.owner = org.body.owner.id;
    const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
      token: as('owner'),
      body: { name: 'Billing' },
    });
    teamId = team.body.team.id;
    for (const [key, role, teams] of [
      ['ann', 'teammate', [teamId]],
      ['ben', 'teammate', [teamId]],
      ['cid', 'teammate', [teamId]],
      ['dora', 'agent', [teamId]],
    ] as const) {
      const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: as('owner'),
        body: { email: `${key}@r.test`, name: key, role, teamIds: teams },
      });
      const accepted = await call('POST', '/v1/invitations/accept', {
        body: { token: invite.body.invitation.token },
      });
      token[key] = accepted.body.token;
      user[key] = accepted.body.user.id;
    }
    // Cid is suspended: never eligible.
    await call('POST', `/v1/workspaces/${ws}/members/${user.cid}/suspend`, { token: as('owner') });
    const ch = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: as('owner'),
      body: { type: 'webhook', name: 'HQ line', owner: { type: 'workspace' } },
    });
    hq = { id: ch.body.channel.id, secret: ch.body.channel.inbound.secret };
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('leaves a chat unassigned in HQ’s queue when the workspace has no rules, and says so', async () => {
    const chat = await newChat('hello', { name: 'First', phone: '4930000001' });
    expect(chat.assignee).toBeNull();
    // Never routed: no rules existed (the decision is only recorded when rules exist).
    expect(chat.routing).toBeNull();
  });

  it('manages rules: validation, permissions, order', async () => {
    const bad = await call('POST', `/v1/workspaces/${ws}/routing-rules`, {
      token: as('owner'),
      body: {
        name: 'evil',
        conditions: [{ kind: 'regex', pattern: '(a+)+$' }],
        target: { type: 'team', teamId },
      },
    });
    expect(bad.status).toBe(422);
    const elsewhere = await call('POST', `/v1/workspaces/${ws}/routing-rules`, {
      token: as('owner'),
      body: { name: 'x', target: { type: 'team', teamId: 'team_not_here' } },
    });
    expect(elsewhere.status).toBe(422);
    const agent = await call('GET', `/v1/workspaces/${ws}/routing-rules`, { token: as('ann') });
    expect(agent.status).toBe(403);

    const vip = await addRule({
      name: 'VIP to Ann',
      conditions: [{ kind: 'contact_field', field: 'email', op: 'contains', value: '@vip.test' }],
      target: { type: 'user', userId: user.ann },
    });
    const billing = await addRule({
      name: 'Billing',
      conditions: [{ kind: 'keyword', keyword: 'invoice' }],
      target: { type: 'team', teamId },
      strategy: 'round_robin',
    });
    const order = await call('PUT', `/v1/workspaces/${ws}/routing-rules/order`, {
      token: as('owner'),
      body: { ids: [billing.id, vip.id] },
    });
    expect(order.status).toBe(200);
    expect(order.body.items.map((r: { id: string }) => r.id)).toEqual([billing.id, vip.id]);
    const partial = await call('PUT', `/v1/workspaces/${ws}/routing-rules/order`, {
      token: as('owner'),
      body: { ids: [billing.id] },
    });
    expect(partial.status).toBe(422);
  });

  it('round-robins a team’s chats over its eligible members only', async () => {
    const picked: string[] = [];
    for (let i = 0; i < 4; i++) {
      const chat = await newChat(`question about my invoice ${i}`, {
        name: `C${i}`,
        phone: `49301000${i}`,
      });
      expect(chat.assignee?.type).toBe('user');
      picked.push(chat.assignee.id);
      expect(chat.routing.rule.name).toBe('Billing');
      expect(chat.routing.strategy).toBe('round_robin');
    }
    // Ann and Ben alternate; never Cid (suspended) nor Dora (an Agent: she may not answer
    // through an account HQ owns, PRODUCT.md §3.3).
    expect(new Set(picked)).toEqual(new Set([user.ann, user.ben]));
    expect(picked[0]).not.toBe(picked[1]);
    expect(picked[2]).toBe(picked[0]);
    const chat = await newChat('invoice again', { name: 'C9', phone: '4930100009' });
    expect(chat.routing.reasons.join(' ')).toMatch(/cid is suspended/);
    expect(chat.routing.reasons.join(' ')).toMatch(/dora could not reply/);
  });

  it('least-open honours capacity; with nobody eligible the chat waits in the team’s queue', async () => {
    const rules = await call('GET', `/v1/workspaces/${ws}/routing-rules`, { token: as('owner') });
    const billing = rules.body.items.find((r: { name: string }) => r.name === 'Billing');
    const put = await call('PUT', `/v1/workspaces/${ws}/routing-rules/${billing.id}`, {
      token: as('owner'),
      body: {
        name: 'Billing',
        conditions: billing.conditions,
        target: billing.target,
        strategy: 'least_open',
      },
    });
    expect(put.status).toBe(200);
    // Ann may take no more chats than she has.
    const cap = await call('PATCH', `/v1/workspaces/${ws}/members/${user.ann}`, {
      token: as('owner'),
      body: { capacity: 0 },
    });
    expect(cap.status).toBe(200);
    const toBen = await newChat('invoice overdue', { name: 'D1', phone: '4930200001' });
    expect(toBen.assignee).toEqual({ type: 'user', id: user.ben });
    expect(toBen.routing.reasons.join(' ')).toMatch(/capacity/);

    await call('POST', `/v1/workspaces/${ws}/members/${user.ben}/suspend`, { token: as('owner') });
    const queued = await newChat('invoice lost', { name: 'D2', phone: '4930200002' });
    expect(queued.assignee).toEqual({ type: 'team', id: teamId });
    await call('POST', `/v1/workspaces/${ws}/members/${user.ben}/reinstate`, {
      token: as('owner'),
    });
    await call('PATCH', `/v1/workspaces/${ws}/members/${user.ann}`, {
      token: as('owner'),
      body: { capacity: null },
    });
  });

  it('routes to a user target, and falls through to HQ when no rule matches', async () => {
    const vip = await newChat('hi there', { name: 'V', email: 'boss@vip.test' });
    expect(vip.assignee).toEqual({ type: 'user', id: user.ann });
    expect(vip.routing.rule.name).toBe('VIP to Ann');
    const none = await newChat('just saying hello', { name: 'N', phone: '4930300001' });
    expect(none.assignee).toBeNull();
    expect(none.routing.rule).toBeNull();
    expect(none.routing.reasons.join(' ')).toMatch(/no rule matches/);
  });

  it('sticky sends a returning contact back to their last assignee', async () => {
    const rules = await call('GET', `/v1/workspaces/${ws}/routing-rules`, { token: as('owner') });
    const billing = rules.body.items.find((r: { name: string }) => r.name === 'Billing');
    await call('PUT', `/v1/workspaces/${ws}/routing-rules/${billing.id}`, {
      token: as('owner'),
      body: {
        name: 'Billing',
        conditions: billing.conditions,
        target: billing.target,
        strategy: 'sticky',
      },
    });
    const first = await newChat('invoice question', { name: 'S', phone: '4930400001' });
    const again = await newChat('another invoice question', { name: 'S', phone: '4930400001' });
    expect(first.assignee.type).toBe('user');
    expect(again.assignee).toEqual(first.assignee);
    expect(again.routing.strategy).toBe('sticky');
  });

  it('a stored rule that no longer validates is shown disabled and does not stop routing', async () => {
    await t.db
      .insertInto('routing_rules')
      .values({
        id: 'rule_legacy',
        workspace_id: ws,
        position: 99,
        name: 'Legacy',
        match: JSON.stringify({ conditions: [{ kind: 'regex', pattern: '(a+)+$' }] }),
        target_type: 'team',
        target_id: teamId,
        strategy: 'round_robin',
      })
      .execute();
    const list = await call('GET', `/v1/workspaces/${ws}/routing-rules`, { token: as('owner') });
    const legacy = list.body.items.find((r: { id: string }) => r.id === 'rule_legacy');
    expect(legacy.enabled).toBe(false);
    expect(legacy.name).toMatch(/unreadable, not applied/);
    const chat = await newChat('hello from a VIP', { name: 'W', email: 'x@vip.test' });
    expect(chat.assignee).toEqual({ type: 'user', id: user.ann });
    await t.db.deleteFrom('routing_rules').where('id', '=', 'rule_legacy').execute();
  });

  it('tells the chosen responder on their stream, and not an agent outside the chat', async () => {
    const path = `/v1/workspaces/${ws}/events`;
    const ann = await openStream(api.base, path, as('ann'));
    const dora = await openStream(api.base, path, as('dora'));
    try {
      await expect.poll(() => ann.events.some((e) => e.event === 'ready')).toBe(true);
      await expect.poll(() => dora.events.some((e) => e.event === 'ready')).toBe(true);
      const chat = await newChat('hello', { name: 'Boss', email: 'ceo@vip.test' });
      expect(chat.assignee).toEqual({ type: 'user', id: user.ann });
      const about = (s: typeof ann) =>
        s.events.filter((e) => e.event === 'chat.created' && e.data.chat?.id === chat.id);
      await expect.poll(() => about(ann).length).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(about(dora)).toHaveLength(0);
    } finally {
      ann.close();
      dora.close();
    }
  });

  it('§2 a suspended team takes no chats: neither a rule’s target nor an assignee (issue 18)', async () => {
    const old = await call('POST', `/v1/workspaces/${ws}/teams`, {
      token: as('owner'),
      body: { name: 'Old desk' },
    });
    expect(old.status).toBe(201);
    const oldId = old.body.team.id as string;
    const chat = await newChat('a chat for the old desk', { name: 'Old' });
    const toOld = () =>
      call('PUT', `/v1/workspaces/${ws}/chats/${chat.id}/assignee`, {
        token: as('owner'),
        body: { type: 'team', id: oldId },
      });
    const ruleToOld = () =>
      call('POST', `/v1/workspaces/${ws}/routing-rules`, {
        token: as('owner'),
        body: {
          name: 'old desk',
          conditions: [{ kind: 'keyword', keyword: 'zz-old-desk-zz' }],
          target: { type: 'team', teamId: oldId },
        },
      });
    // Active: both ways.
    expect((await toOld()).status).toBe(200);
    const rule = await ruleToOld();
    expect(rule.status).toBe(201);
    await call('DELETE', `/v1/workspaces/${ws}/routing-rules/${rule.body.rule.id}`, {
      token: as('owner'),
    });
    const suspended = await call('POST', `/v1/workspaces/${ws}/teams/${oldId}/suspend`, {
      token: as('owner'),
    });
    expect(suspended.status).toBe(202);
    // Suspended: neither.
    const assigned = await toOld();
    expect(assigned.status).toBe(422);
    expect(assigned.body.error.code).toBe('invalid_input');
    const refused = await ruleToOld();
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe('body.target');
  });
});
