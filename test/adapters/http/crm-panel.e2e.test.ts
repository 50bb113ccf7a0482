import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  inboundChat,
  openStream,
  signedHeaders,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * The generic CRM panel endpoints over HTTP (issue 20, shared/API.md "CRM panels"): requests
 * signed with the integration's secret, each acting as the member it names, who sees in the
 * panel exactly what the API shows them — plus the history of chats a CRM record grants them
 * (CRM precedence, PRODUCT.md §3.5), and nothing more.
 */
describe('CRM panel endpoints', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let ws: string;
  let owner: string;
  let workspaceChannel: { id: string; secret: string };
  let crm: { id: string; secret: string };
  const people: Record<string, { id: string; token: string; email: string }> = {};
  let agentChannel: { id: string; secret: string };
  /** The contact +49 30 555000: chat X on the workspace's account, Y on agent2's own. */
  let chatX: string;
  let chatY: string;
  let chatMasked: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    ({ ws, owner, channel: workspaceChannel } = await createWorkspaceWithChannel(api, 'CRM Co'));
    people.owner = { id: '', token: owner, email: 'o@crm-co.test' };
    for (const [key, role, restrictions] of [
      ['admin', 'admin', {}],
      ['teammate', 'teammate', {}],
      ['agent1', 'agent', {}],
      ['agent2', 'agent', {}],
      ['masked', 'agent', { maskContactIdentifiers: true }],
      ['collaborator', 'collaborator', {}],
      ['suspended', 'agent', {}],
      ['revoked', 'admin', {}],
    ] as const) {
      people[key] = await addMember(api, ws, owner, {
        email: `${key}@crm-co.test`,
        name: key,
        role,
        restrictions,
      });
    }
    await call('POST', `/v1/workspaces/${ws}/members/${people.suspended!.id}/suspend`, {
      token: owner,
    });
    // agent2 connects an account of their own.
    const own = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: people.agent2!.token,
      body: { type: 'webhook', name: 'Agent 2’s line' },
    });
    expect(own.status).toBe(201);
    agentChannel = { id: own.body.channel.id, secret: own.body.channel.inbound.secret };

    chatX = await inbound(workspaceChannel, 'x', { name: 'Dana', phone: '+4930555000' });
    chatY = await inbound(agentChannel, 'y', { name: 'Dana', phone: '+4930555000' });
    chatMasked = await inbound(
      workspaceChannel,
      'z',
      { name: 'Zoe', phone: '+4930777000', email: 'zoe@customer.test' },
      'Call me at +49 30 777000 or zoe@customer.test',
    );
    await assign(chatX, people.agent1!.id);
    await assign(chatY, people.agent2!.id);
    await assign(chatMasked, people.masked!.id);
    // So that what the Teammate and the Collaborator see of Dana is something (PRODUCT.md §3.2):
    // the Teammate shares a team with agent2 (owner and assignee of Y), the Collaborator is a
    // participant of X.
    const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
      token: owner,
      body: { name: 'Sales' },
    });
    expect(team.status).toBe(201);
    for (const key of ['teammate', 'agent2']) {
      const joined = await call(
        'PUT',
        `/v1/workspaces/${ws}/teams/${team.body.team.id}/members/${people[key]!.id}`,
        { token: owner },
      );
      expect(joined.status, key).toBe(204);
    }
    const participant = await call('POST', `/v1/workspaces/${ws}/chats/${chatX}/participants`, {
      token: owner,
      body: { userId: people.collaborator!.id },
    });
    expect(participant.status).toBe(201);

    const created = await call('POST', `/v1/workspaces/${ws}/integrations`, {
      token: owner,
      body: { type: 'crm', name: 'Our CRM' },
    });
    expect(created.status).toBe(201);
    crm = { id: created.body.integration.id, secret: created.body.integration.secret };
    expect(crm.secret).toMatch(/^sbc_/);
  });

  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const inbound = (
    channel: { id: string; secret: string },
    key: string,
    contact: { name: string; phone: string; email?: string },
    text?: string,
  ) => inboundChat(api, t, channel, key, contact, text);

  /** Another inbound message from Dana on the chat `key` of `channel` (made by `inbound`). */
  let sent = 0;
  async function inboundMessage(
    channel: { id: string; secret: string },
    key: string,
    text: string,
  ) {
    const raw = JSON.stringify({
      messageId: `m-${key}-more-${++sent}`,
      chatId: `c-${key}`,
      contact: { name: 'Dana', phone: '+4930555000' },
      text,
      sentAt: new Date().toISOString(),
    });
    const accepted = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
      raw,
      headers: signedHeaders(channel.secret, raw),
    });
    expect(accepted.status).toBe(202);
  }

  async function assign(chatId: string, userId: string) {
    const done = await call('PUT', `/v1/workspaces/${ws}/chats/${chatId}/assignee`, {
      token: owner,
      body: { type: 'user', id: userId },
    });
    expect(done.status).toBe(200);
  }

  /**
   * A request signed as the CRM signs it. Each signature is accepted once, so a CRM asking the
   * same twice within a second tells the two apart with a field of its own (`requestId`).
   */
  let requests = 0;
  function panel(method: string, path: string, body: object, secret = crm.secret, at?: number) {
    const raw = JSON.stringify({ ...body, requestId: `r${++requests}` });
    return call(method, `/v1/crm/${crm.id}${path}`, {
      raw,
      headers: signedHeaders(secret, raw, at),
    });
  }

  const ids = (items: Array<{ id: string }>) => items.map((c) => c.id).sort();

  it('each built-in role sees in the panel exactly the chats of the contact the API shows them', async () => {
    // PRODUCT.md §3.2: Owner and Admin see all; the Teammate their team's (agent2's account and
    // assignee: Y); an Agent what they connected or are assigned (agent1: X, agent2: Y); the
    // masked Agent nothing of Dana's; the Collaborator what they take part in (X).
    const expected: Record<string, string[]> = {
      owner: [chatX, chatY],
      admin: [chatX, chatY],
      teammate: [chatY],
      agent1: [chatX],
      agent2: [chatY],
      masked: [],
      collaborator: [chatX],
    };
    for (const [key, chats] of Object.entries(expected)) {
      const person = people[key]!;
      const shown = await panel('POST', '/chats-for-contact', {
        userEmail: person.email,
        phone: '0049 30 555000',
      });
      expect(shown.status, key).toBe(200);
      const list = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: person.token,
      });
      const viaApi = (list.body.items as Array<{ id: string; contact: { phone: string } }>)
        .filter((c) => c.contact.phone === '+4930555000')
        .map((c) => c.id)
        .sort();
      expect(ids(shown.body.items), key).toEqual([...chats].sort());
      expect(viaApi, key).toEqual([...chats].sort());
    }
    // Newest activity first.
    const both = await panel('POST', '/chats-for-contact', {
      userEmail: people.owner!.email,
      phone: '+4930555000',
    });
    expect(both.body.items.map((c: { id: string }) => c.id)).toEqual([chatY, chatX]);
    // An unknown contact is an empty list.
    const none = await panel('POST', '/chats-for-contact', {
      userEmail: people.owner!.email,
      email: 'nobody@customer.test',
    });
    expect(none.status).toBe(200);
    expect(none.body.items).toEqual([]);
    // A contact must be named; a national number is refused with the reason.
    expect(
      (await panel('POST', '/chats-for-contact', { userEmail: people.owner!.email })).status,
    ).toBe(422);
    expect(
      (
        await panel('POST', '/chats-for-contact', {
          userEmail: people.owner!.email,
          phone: '030 555000',
        })
      ).status,
    ).toBe(422);
  });

  it('unknown, suspended or revoked members are refused with 403, alike', async () => {
    const revoked = people.revoked!;
    // Until revoked, the Admin sees Dana's chats in the panel.
    const before = await panel('POST', '/chats-for-contact', {
      userEmail: revoked.email,
      phone: '+4930555000',
    });
    expect(before.status).toBe(200);
    expect(ids(before.body.items)).toEqual([chatX, chatY].sort());
    const revoking = await call('POST', `/v1/workspaces/${ws}/members/${revoked.id}/revoke`, {
      token: owner,
      body: {},
    });
    expect(revoking.status).toBe(202);
    await expect
      .poll(
        async () =>
          (await call('GET', `/v1/jobs/${revoking.body.job.id}`, { token: owner })).body.state,
        { timeout: 20_000, interval: 100 },
      )
      .toBe('completed');
    const members = await call('GET', `/v1/workspaces/${ws}/members`, { token: owner });
    expect(
      members.body.items.find((m: { user: { id: string } }) => m.user.id === revoked.id)?.status,
    ).toBe('revoked');

    const stored = async () =>
      Number(
        (
          await t.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('chat_id', 'in', [chatX, chatY])
            .executeTakeFirstOrThrow()
        ).n,
      );
    const storedBefore = await stored();
    for (const userEmail of ['stranger@crm-co.test', people.suspended!.email, revoked.email]) {
      for (const [what, refused] of [
        [
          'chats-for-contact',
          await panel('POST', '/chats-for-contact', { userEmail, phone: '+4930555000' }),
        ],
        ['history', await panel('POST', `/chats/${chatX}/messages/list`, { userEmail })],
        [
          'reply',
          await panel('POST', '/messages', { userEmail, chatId: chatX, text: 'Not from me' }),
        ],
      ] as const) {
        expect(refused.status, `${userEmail}: ${what}`).toBe(403);
        expect(refused.body.error.message, `${userEmail}: ${what}`).toContain(
          'is not an active member',
        );
        expect(refused.text, `${userEmail}: ${what}`).not.toContain('Hello from');
      }
    }
    expect(await stored()).toBe(storedBefore);
  });

  it('a reply goes out within the member’s reply rule: an Agent only through accounts they connected', async () => {
    const own = await panel('POST', '/messages', {
      userEmail: people.agent2!.email,
      chatId: chatY,
      text: 'Hello from the CRM',
    });
    expect(own.status).toBe(201);
    expect(own.body.message).toMatchObject({ text: 'Hello from the CRM', direction: 'out' });

    // agent1's chat X is on the workspace's account: not theirs to send through, as in the API.
    const viaPanel = await panel('POST', '/messages', {
      userEmail: people.agent1!.email,
      chatId: chatX,
      text: 'Trying',
      channelId: agentChannel.id,
    });
    const viaApi = await call('POST', `/v1/workspaces/${ws}/chats/${chatX}/messages`, {
      token: people.agent1!.token,
      body: { text: 'Trying', channelId: agentChannel.id },
    });
    expect(viaPanel.status).toBe(viaApi.status);
    expect([403, 404]).toContain(viaPanel.status);
    // A chat the member does not see does not exist for them.
    const unseen = await panel('POST', '/messages', {
      userEmail: people.agent1!.email,
      chatId: chatY,
      text: 'Trying',
    });
    expect(unseen.status).toBe(404);
  });

  it('a masked member gets a masked panel: no phone or email anywhere in what they receive', async () => {
    const list = await panel('POST', '/chats-for-contact', {
      userEmail: people.masked!.email,
      email: 'zoe@customer.test',
    });
    expect(ids(list.body.items)).toEqual([chatMasked]);
    const history = await panel('POST', `/chats/${chatMasked}/messages/list`, {
      userEmail: people.masked!.email,
    });
    expect(history.status).toBe(200);
    expect(history.body.items.length).toBeGreaterThan(0);
    for (const text of [list.text, history.text]) {
      expect(text).not.toMatch(/777000|30 777|zoe@customer/);
      expect(text).toContain('••');
    }
    // Unmasked, the same chat shows them.
    const plain = await panel('POST', '/chats-for-contact', {
      userEmail: people.owner!.email,
      email: 'zoe@customer.test',
    });
    expect(plain.text).toContain('+4930777000');
  });

  it('a bad, stale or replayed signature is refused with 401 and nothing is done', async () => {
    const count = async () =>
      Number(
        (
          await t.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('chat_id', '=', chatY)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const body = { userEmail: people.agent2!.email, chatId: chatY, text: 'Once only' };
    expect((await panel('POST', '/messages', body, 'sbc_not-the-secret')).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await panel('POST', '/messages', body, crm.secret, stale)).status).toBe(401);
    expect(await count()).toBe(before);

    const raw = JSON.stringify(body);
    const headers = signedHeaders(crm.secret, raw);
    const first = await call('POST', `/v1/crm/${crm.id}/messages`, { raw, headers });
    expect(first.status).toBe(201);
    const replayed = await call('POST', `/v1/crm/${crm.id}/messages`, { raw, headers });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.message).toContain('replay');
    expect(await count()).toBe(before + 1);

    // An unknown integration, or one that is not a CRM, answers like a bad signature.
    const slack = await call('POST', `/v1/workspaces/${ws}/integrations`, {
      token: owner,
      body: { type: 'slack', teamId: 'T0CRMCO' },
    });
    for (const integrationId of ['int_nope', slack.body.integration.id as string]) {
      const raw2 = JSON.stringify({ userEmail: people.owner!.email, phone: '+4930555000' });
      const answer = await call('POST', `/v1/crm/${integrationId}/chats-for-contact`, {
        raw: raw2,
        headers: signedHeaders(crm.secret, raw2),
      });
      expect(answer.status).toBe(401);
    }
  });

  it('CRM precedence: a record’s members read its chats’ history in the panel and nothing more, until the record no longer names them', async () => {
    const collaborator = people.collaborator!;
    const history = () =>
      panel('POST', `/chats/${chatY}/messages/list`, { userEmail: collaborator.email });
    expect((await history()).status).toBe(404);

    const linked = await panel('PUT', '/records/deal/42', {
      chatIds: [chatY],
      userEmails: [collaborator.email],
    });
    expect(linked.status).toBe(200);
    expect(linked.body.record).toMatchObject({ type: 'deal', id: '42', chats: 1 });

    const granted = await history();
    expect(granted.status).toBe(200);
    expect(granted.body.items.length).toBeGreaterThan(0);
    // The record finds the chat in the panel…
    const byRecord = await panel('POST', '/chats-for-contact', {
      userEmail: collaborator.email,
      record: { type: 'deal', id: '42' },
    });
    expect(ids(byRecord.body.items)).toEqual([chatY]);
    // …and nothing more: not the event stream — a new message on Y reaches agent2 (who may
    // view Y) but not the Collaborator, whose stream is live (it carries X, where they take
    // part, sent after it) —
    const collaboratorStream = await openStream(
      api.base,
      `/v1/workspaces/${ws}/events`,
      collaborator.token,
    );
    const viewerStream = await openStream(
      api.base,
      `/v1/workspaces/${ws}/events`,
      people.agent2!.token,
    );
    try {
      expect(collaboratorStream.status).toBe(200);
      expect(viewerStream.status).toBe(200);
      for (const stream of [collaboratorStream, viewerStream]) {
        await expect.poll(() => stream.events.some((e) => e.event === 'ready')).toBe(true);
      }
      const about = (stream: typeof viewerStream, chatId: string, text: string): boolean =>
        stream.events.some(
          (e) =>
            e.event === 'message.created' &&
            e.data.chatId === chatId &&
            e.data.message?.text === text,
        );
      await inboundMessage(agentChannel, 'y', 'New on Y while granted by the record');
      await expect
        .poll(() => about(viewerStream, chatY, 'New on Y while granted by the record'), {
          timeout: 10_000,
        })
        .toBe(true);
      await inboundMessage(workspaceChannel, 'x', 'New on X after Y');
      await expect
        .poll(() => about(collaboratorStream, chatX, 'New on X after Y'), { timeout: 10_000 })
        .toBe(true);
      expect(collaboratorStream.events.filter((e) => e.data.chatId === chatY)).toEqual([]);
      expect(collaboratorStream.events.map((e) => JSON.stringify(e.data)).join('\n')).not.toContain(
        chatY,
      );
    } finally {
      collaboratorStream.close();
      viewerStream.close();
    }
    // …not the API's chat, list or reply, not a panel reply.
    const token = collaborator.token;
    expect((await call('GET', `/v1/workspaces/${ws}/chats/${chatY}`, { token })).status).toBe(404);
    const list = await call('GET', `/v1/workspaces/${ws}/chats`, { token });
    expect(ids(list.body.items)).not.toContain(chatY);
    expect(
      (
        await panel('POST', '/messages', {
          userEmail: collaborator.email,
          chatId: chatY,
          text: 'x',
        })
      ).status,
    ).toBe(404);
    // explain names the grant.
    const explained = await call(
      'GET',
      `/v1/workspaces/${ws}/access/explain?userId=${collaborator.id}&chatId=${chatY}`,
      { token: owner },
    );
    expect(explained.body.allowed).toBe(false);
    expect(explained.body.reasons.join(' ')).toContain('CRM record');

    // The CRM stops naming them: the grant ends at once.
    expect(
      (await panel('PUT', '/records/deal/42', { chatIds: [chatY], userEmails: [] })).status,
    ).toBe(200);
    expect((await history()).status).toBe(404);

    // Linked through the contact instead of the chat: every chat of that contact.
    const contactId = (
      await t.db
        .selectFrom('chats')
        .select('contact_id')
        .where('id', '=', chatY)
        .executeTakeFirstOrThrow()
    ).contact_id;
    const byContact = await panel('PUT', '/records/person/7', {
      contactIds: [contactId],
      userEmails: [collaborator.email],
    });
    expect(byContact.body.record.chats).toBe(2);
    expect((await history()).status).toBe(200);

    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'via', 'actor_user_id'])
      .where('workspace_id', '=', ws)
      .where('action', '=', 'crm.record_link')
      .execute();
    expect(audit).toHaveLength(3);
    expect(audit.every((a) => a.via === 'crm' && a.actor_user_id === null)).toBe(true);
  });

  it('a Pipedrive app’s server links records signed with its JWT secret; one without a secret cannot', async () => {
    const make = (extra: object) =>
      call('POST', `/v1/workspaces/${ws}/integrations`, {
        token: owner,
        body: { type: 'pipedrive', name: 'Pipedrive', companyId: '4242', ...extra },
      });
    const withSecret = await make({ jwtSecret: 'a-jwt-secret-of-some-length' });
    const without = await make({});
    expect(withSecret.status).toBe(201);
    expect(withSecret.body.integration).not.toHaveProperty('secret');
    const body = JSON.stringify({ chatIds: [chatX], userEmails: [people.collaborator!.email] });
    const put = (integrationId: string, secret: string) =>
      call('PUT', `/v1/crm/${integrationId}/records/person/5`, {
        raw: body,
        headers: signedHeaders(secret, body),
      });
    expect((await put(withSecret.body.integration.id, 'a-jwt-secret-of-some-length')).status).toBe(
      200,
    );
    expect((await put(without.body.integration.id, 'a-jwt-secret-of-some-length')).status).toBe(
      401,
    );
  });

  it('a record naming someone who is no member, or a chat of another workspace, is refused whole', async () => {
    const other = await createWorkspaceWithChannel(api, 'Elsewhere');
    const foreign = await inbound(other.channel, 'foreign', { name: 'F', phone: '+4930999111' });
    const unknownUser = await panel('PUT', '/records/deal/43', {
      chatIds: [chatX],
      userEmails: ['nobody@crm-co.test'],
    });
    expect(unknownUser.status).toBe(422);
    expect(unknownUser.text).toContain('nobody@crm-co.test');
    const foreignChat = await panel('PUT', '/records/deal/43', {
      chatIds: [foreign],
      userEmails: [people.collaborator!.email],
    });
    expect(foreignChat.status).toBe(422);
    expect(
      await t.db
        .selectFrom('crm_records')
        .select('record_id')
        .where('record_id', '=', '43')
        .execute(),
    ).toEqual([]);
  });
});
