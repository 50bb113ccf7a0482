import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  signedHeaders,
  startApi,
  startReceiver,
  type RunningApi,
} from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * What a CRM sync needs from outbound webhooks (issue 20), over HTTP against the running
 * server: `member.revoked` when a member is revoked; a subscription acting as a named member
 * (`asUserId`) carries only the chats that member may see, redacted for them, and nothing once
 * they are suspended; chat.created, message.created and chat.assignee_changed are each
 * redacted for the subscription's creator.
 */
type Received = { headers: Record<string, unknown>; body: string };
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const HQ_PHONE = '+4915155500001';
const AGENT_PHONE = '+4915155500002';
const digits = (s: string) => s.replace(/\D/g, '');

describe('webhooks for a CRM sync', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let ws = '';
  let owner = '';
  let hq = { id: '', secret: '' };
  let agentLine = { id: '', secret: '' };
  const people: Record<string, { id: string; token: string }> = {};
  const receivers: Receiver[] = [];
  let n = 0;

  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };

  const join = async (key: string, role: string, restrictions: object = {}) => {
    const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
      token: owner,
      body: { email: `${key}@acme.test`, name: key.toUpperCase(), role, restrictions },
    });
    expect(invite.status, invite.text).toBe(201);
    const accepted = await call('POST', '/v1/invitations/accept', {
      body: { token: invite.body.invitation.token },
    });
    people[key] = { id: accepted.body.user.id, token: accepted.body.token };
  };

  const inbound = async (
    channel: { id: string; secret: string },
    chatId: string,
    phone: string,
    text: string,
  ) => {
    const raw = JSON.stringify({
      messageId: `crm-m${++n}`,
      chatId,
      contact: { name: 'Cus', phone },
      text,
      sentAt: new Date(Date.now() + n).toISOString(),
    });
    const res = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
      raw,
      headers: signedHeaders(channel.secret, raw),
    });
    expect(res.status).toBe(202);
  };

  const subscribe = async (token: string, url: string, events: string[], asUserId?: string) => {
    const res = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token,
      body: { url, events, ...(asUserId ? { asUserId } : {}) },
    });
    expect(res.status, res.text).toBe(201);
    return res.body.webhook as { id: string; secret: string; asUserId: string | null };
  };

  const bodies = (r: Receiver) => r.received.map((x) => JSON.parse(x.body));
  const signed = (secret: string, r: Received) => {
    const ts = String(r.headers['x-switchboard-timestamp']);
    return (
      r.headers['x-switchboard-signature'] ===
      `v1=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`
    );
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, { webhookAttempts: 3 });
    call = client(api.base);
    ({ ws, owner, channel: hq } = await createWorkspaceWithChannel(api, 'Acme'));
    await join('admin', 'admin');
    await join('masked', 'admin', { maskContactIdentifiers: true });
    await join('agent', 'agent', { maskContactIdentifiers: true });
    await join('leaver', 'teammate');
    const line = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: people.agent?.token ?? '',
      body: { type: 'webhook', name: 'Agent line' },
    });
    expect(line.status, line.text).toBe(201);
    agentLine = { id: line.body.channel.id, secret: line.body.channel.inbound.secret };
  }, 60_000);

  afterAll(async () => {
    for (const r of receivers) await r.close();
    await api?.close();
    await t?.drop();
  });

  it('member.revoked reaches each subscription that asked for it, signed, naming who, when, the heir and the job', async () => {
    const ownerHook = await receiver();
    const asAgent = await receiver();
    const chatsOnly = await receiver();
    const hook = await subscribe(owner, ownerHook.url, ['member.revoked']);
    const agentHook = await subscribe(
      people.admin?.token ?? '',
      asAgent.url,
      ['member.revoked'],
      people.agent?.id,
    );
    await subscribe(owner, chatsOnly.url, ['chat.created', 'chat.assignee_changed']);

    const before = Date.now();
    const revoke = await call('POST', `/v1/workspaces/${ws}/members/${people.leaver?.id}/revoke`, {
      token: owner,
      body: { reassignTo: people.admin?.id },
    });
    expect(revoke.status, revoke.text).toBe(202);
    const jobId = revoke.body.job.id as string;

    await expect.poll(() => ownerHook.received.length, { timeout: 20_000 }).toBe(1);
    const [notice] = bodies(ownerHook);
    expect(notice).toEqual({
      id: expect.any(String),
      type: 'member.revoked',
      workspaceId: ws,
      userId: people.leaver?.id,
      name: 'LEAVER',
      // A colleague's email, as the member list shows it: masking is of contacts' identifiers.
      email: 'leaver@acme.test',
      reassignTo: people.admin?.id,
      jobId,
      revokedAt: expect.any(String),
    });
    expect(Date.parse(notice.revokedAt)).toBeGreaterThanOrEqual(before - 1_000);
    const first = ownerHook.received[0];
    if (!first) throw new Error('nothing received');
    expect(signed(hook.secret, first)).toBe(true);

    // Every subscription that asked for it whose principal is active (any member may read the
    // member list) — one acting as an Agent too; a subscription to chat events only, not.
    await expect.poll(() => asAgent.received.length, { timeout: 20_000 }).toBe(1);
    expect(bodies(asAgent)[0]).toMatchObject({ type: 'member.revoked', userId: people.leaver?.id });
    const asAgentFirst = asAgent.received[0];
    if (!asAgentFirst) throw new Error('nothing received');
    expect(signed(agentHook.secret, asAgentFirst)).toBe(true);
    expect(chatsOnly.received.some((r) => r.body.includes('member.revoked'))).toBe(false);

    const deliveries = await call('GET', `/v1/workspaces/${ws}/webhooks/${hook.id}/deliveries`, {
      token: owner,
    });
    expect(deliveries.body.items).toMatchObject([
      { eventType: 'member.revoked', chatId: null, status: 'succeeded' },
    ]);
  });

  it('a subscription as an Agent carries only the chats that Agent may see, masked as they see them, and nothing once they are suspended', async () => {
    const asAgent = await receiver();
    const witness = await receiver();
    const agentId = people.agent?.id ?? '';
    const created = await subscribe(
      people.admin?.token ?? '',
      asAgent.url,
      ['chat.created', 'message.created'],
      agentId,
    );
    expect(created.asUserId).toBe(agentId);
    const listed = await call('GET', `/v1/workspaces/${ws}/webhooks`, { token: owner });
    expect(listed.body.items.find((h: { id: string }) => h.id === created.id)).toMatchObject({
      asUserId: agentId,
      createdBy: people.admin?.id,
    });
    await subscribe(owner, witness.url, ['chat.created', 'message.created']);
    const stranger = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url: asAgent.url, events: ['chat.created'], asUserId: 'usr_nobody' },
    });
    expect(stranger.status).toBe(422);
    expect(stranger.body.error.details).toEqual([
      expect.objectContaining({ path: 'body.asUserId' }),
    ]);
    // The contract says so: the OpenAPI document names the field.
    const doc = await call('GET', '/v1/openapi.json');
    const post = doc.body.paths['/v1/workspaces/{ws}/webhooks'].post;
    expect(post.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'asUserId',
    );

    // An Agent sees the chats of the account they connected, not HQ's unassigned ones.
    await inbound(hq, 'crm-hq-chat', HQ_PHONE, 'on the HQ line');
    await inbound(
      agentLine,
      'crm-agent-chat',
      AGENT_PHONE,
      `on the agent line, call ${AGENT_PHONE}`,
    );
    await expect
      .poll(() => bodies(witness).filter((b) => b.type === 'message.created').length, {
        timeout: 20_000,
      })
      .toBe(2);
    await expect
      .poll(
        () =>
          bodies(asAgent)
            .map((b) => b.type)
            .sort(),
        { timeout: 20_000 },
      )
      .toEqual(['chat.created', 'message.created']);
    const agentChatId = bodies(witness).find(
      (b) => b.type === 'message.created' && b.message.text.startsWith('on the agent line'),
    ).chatId as string;
    expect(bodies(asAgent).every((b) => b.chatId === agentChatId)).toBe(true);
    expect(asAgent.received.some((r) => r.body.includes('on the HQ line'))).toBe(false);
    // Masked for the Agent, in the contact and in the text; the unmasked Owner sees the number.
    for (const r of asAgent.received) expect(digits(r.body)).not.toContain(digits(AGENT_PHONE));
    expect(witness.received.some((r) => digits(r.body).includes(digits(AGENT_PHONE)))).toBe(true);

    // Suspended, the Agent sees nothing: neither does the subscription acting as them. The
    // witness shows when the next event has been dispatched.
    const suspended = await call('POST', `/v1/workspaces/${ws}/members/${agentId}/suspend`, {
      token: owner,
      body: {},
    });
    expect(suspended.status, suspended.text).toBe(200);
    const delivered = asAgent.received.length;
    await inbound(agentLine, 'crm-agent-chat', AGENT_PHONE, 'after the suspension');
    await inbound(agentLine, 'crm-agent-chat-2', AGENT_PHONE, 'a new chat after the suspension');
    await expect
      .poll(
        () =>
          bodies(witness)
            .filter((b) => b.type === 'message.created')
            .filter((b) => String(b.message.text).includes('after the suspension')).length,
        { timeout: 20_000 },
      )
      .toBe(2);
    // Events are dispatched one after another, so by now the first of them has been decided
    // for every subscription: none was even recorded for the subscription acting as the Agent.
    const recorded = await call('GET', `/v1/workspaces/${ws}/webhooks/${created.id}/deliveries`, {
      token: owner,
    });
    expect(recorded.body.items).toHaveLength(delivered);
    expect(asAgent.received.length).toBe(delivered);
  });

  it('chat.created, message.created and chat.assignee_changed are each redacted for the subscription’s creator', async () => {
    const masked = await receiver();
    const witness = await receiver();
    const events = ['chat.created', 'message.created', 'chat.assignee_changed'];
    await subscribe(people.masked?.token ?? '', masked.url, events);
    await subscribe(owner, witness.url, events);
    await inbound(hq, 'crm-redacted', HQ_PHONE, `please call ${HQ_PHONE}`);
    await expect
      .poll(() => bodies(witness).find((b) => b.type === 'message.created')?.chatId, {
        timeout: 20_000,
      })
      .toBeTruthy();
    const chatId = bodies(witness).find((b) => b.type === 'message.created').chatId as string;
    const assigned = await call('PUT', `/v1/workspaces/${ws}/chats/${chatId}/assignee`, {
      token: owner,
      body: { type: 'user', id: people.admin?.id },
    });
    expect(assigned.status, assigned.text).toBe(200);
    await expect
      .poll(
        () =>
          bodies(masked)
            .map((b) => b.type)
            .sort(),
        { timeout: 20_000 },
      )
      .toEqual([...events].sort());
    for (const b of bodies(masked)) {
      expect(b.chatId).toBe(chatId);
      // The contact's phone is there, masked (its last two digits), never in full.
      expect(JSON.stringify(b.chat)).toContain(HQ_PHONE.slice(-2));
      expect(digits(JSON.stringify(b))).not.toContain(digits(HQ_PHONE));
    }
    expect(bodies(masked).find((b) => b.type === 'chat.assignee_changed').chat).toMatchObject({
      assignee: expect.objectContaining({ id: people.admin?.id }),
    });
    // The unmasked Owner's subscription carries the same events with the number in full.
    await expect
      .poll(
        () =>
          bodies(witness)
            .map((b) => b.type)
            .sort(),
        { timeout: 20_000 },
      )
      .toEqual([...events].sort());
    for (const r of witness.received) expect(digits(r.body)).toContain(digits(HQ_PHONE));
  });
});
