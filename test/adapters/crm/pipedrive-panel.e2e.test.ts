import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  inboundChat,
  signedHeaders,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import {
  pipedrivePanelQuery,
  pipedriveToken,
  startFakePipedrive,
  type FakePipedrive,
} from '../../support/fake-pipedrive.js';
import { expectPipedrivePanel, expectPipedrivePanelError } from './pipedrive-format.js';

/**
 * Pipedrive's own JSON panel and JSON modal over HTTP (issue 20): a test plays Pipedrive —
 * it calls the panel's endpoint with the query Pipedrive sends and a JWT signed as Pipedrive
 * signs it, and answers the server's API calls as a fake Pipedrive REST API — and checks the
 * answers against Pipedrive's formats and limits, and against the member's rules: an Agent
 * sees only their chats, a masked member a masked panel, a reply goes out only within the
 * member's reply rule.
 */
describe('Pipedrive JSON panel and JSON modal', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let fake: FakePipedrive;
  let ws: string;
  let owner: string;
  let integrationId: string;
  const jwtSecret = 'the-json-panel-jwt-secret-from-developer-hub';
  const apiToken = 'pipedrive-api-token-0123456789';
  const companyId = 7001;
  /** Pipedrive user ids, mapped to members below (99 is mapped to nobody). */
  const pd = { owner: 11, agent1: 12, agent2: 13, masked: 14, unmapped: 99 } as const;
  const people: Record<string, { id: string; token: string }> = {};
  let workspaceChannel: { id: string; secret: string };
  let agentChannel: { id: string; secret: string };
  /** Dana (+4930555000): X on the workspace's account (agent1's), Y on agent2's own. */
  let chatX: string;
  let chatY: string;
  /** Zoe (+4930777000, zoe@customer.test), assigned to the masked agent. */
  let chatZ: string;
  /** Omar, reachable only through a linked CRM record. */
  let chatR: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    fake = await startFakePipedrive(apiToken);
    ({ ws, owner, channel: workspaceChannel } = await createWorkspaceWithChannel(api, 'Pipe Co'));
    people.owner = { id: '', token: owner };
    for (const [key, restrictions] of [
      ['agent1', {}],
      ['agent2', {}],
      ['masked', { maskContactIdentifiers: true }],
    ] as const) {
      const invitation = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: owner,
        body: { email: `${key}@pipe-co.test`, name: key, role: 'agent', restrictions },
      });
      const accepted = await call('POST', '/v1/invitations/accept', {
        body: { token: invitation.body.invitation.token },
      });
      people[key] = { id: accepted.body.user.id, token: accepted.body.token };
    }
    people.owner.id = (
      await t.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'o@pipe-co.test')
        .executeTakeFirstOrThrow()
    ).id;
    const own = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: people.agent2!.token,
      body: { type: 'webhook', name: 'Agent 2’s line' },
    });
    expect(own.status).toBe(201);
    agentChannel = { id: own.body.channel.id, secret: own.body.channel.inbound.secret };

    chatX = await inbound(workspaceChannel, 'x', { name: 'Dana', phone: '+4930555000' });
    chatY = await inbound(agentChannel, 'y', { name: 'Dana', phone: '+4930555000' });
    chatZ = await inbound(
      workspaceChannel,
      'z',
      { name: 'Zoe', phone: '+4930777000', email: 'zoe@customer.test' },
      'Call me at +49 30 777000 or zoe@customer.test',
    );
    chatR = await inbound(workspaceChannel, 'r', { name: 'Omar', phone: '+4930888000' });
    await assign(chatX, people.agent1!.id);
    await assign(chatY, people.agent2!.id);
    await assign(chatZ, people.masked!.id);

    // Pipedrive's side: persons with phones spelled as people type them, a deal, an organization.
    fake.persons.set(501, {
      id: 501,
      name: 'Dana',
      phone: [{ label: 'work', value: '+49 30 555000', primary: true }],
      email: [],
    });
    fake.persons.set(502, {
      id: 502,
      name: 'Zoe',
      phone: [{ label: 'mobile', value: '0049 (30) 777000', primary: true }],
      email: [{ label: 'work', value: 'zoe@customer.test', primary: true }],
    });
    fake.persons.set(506, { id: 506, name: 'Slow', phone: [], email: [] });
    fake.deals.set(901, { id: 901, title: 'Big deal', personId: 501 });
    fake.organizations.set(301, [501, 502]);

    const created = await call('POST', `/v1/workspaces/${ws}/integrations`, {
      token: owner,
      body: {
        type: 'pipedrive',
        name: 'Pipedrive',
        companyId: String(companyId),
        jwtSecret,
        apiToken,
        apiBaseUrl: fake.url,
      },
    });
    expect(created.status).toBe(201);
    integrationId = created.body.integration.id;
    for (const key of ['owner', 'agent1', 'agent2', 'masked'] as const) {
      const mapped = await call(
        'PUT',
        `/v1/workspaces/${ws}/integrations/${integrationId}/users/${pd[key]}`,
        { token: owner, body: { userId: people[key]!.id } },
      );
      expect(mapped.status, key).toBe(200);
    }
  });

  afterAll(async () => {
    await api.close();
    await fake.close();
    await t.drop();
  });

  const inbound = (
    channel: { id: string; secret: string },
    key: string,
    contact: { name: string; phone: string; email?: string },
    text?: string,
  ) => inboundChat(api, t, channel, key, contact, text);

  async function assign(chatId: string, userId: string) {
    const done = await call('PUT', `/v1/workspaces/${ws}/chats/${chatId}/assignee`, {
      token: owner,
      body: { type: 'user', id: userId },
    });
    expect(done.status).toBe(200);
  }

  /** Pipedrive calling the panel (or modal) endpoint for a Pipedrive user on a detail view. */
  function asPipedrive(
    method: 'GET' | 'POST',
    path: 'panel' | 'modal',
    who: { userId: number; resource?: 'person' | 'deal' | 'organization'; selectedIds: string },
    options: { secret?: string; companyId?: number; body?: unknown; integration?: string } = {},
  ) {
    const token = pipedriveToken(options.secret ?? jwtSecret, {
      userId: who.userId,
      companyId: options.companyId ?? companyId,
    });
    const query = pipedrivePanelQuery({
      resource: who.resource ?? 'person',
      selectedIds: who.selectedIds,
      userId: who.userId,
      companyId: options.companyId ?? companyId,
      token,
    });
    return call(
      method,
      `/v1/crm/${options.integration ?? integrationId}/pipedrive/${path}${query}`,
      options.body === undefined ? {} : { body: options.body },
    );
  }

  /** The server's public address (startApi's `publicUrl`): links are made from it. */
  const publicUrl = 'http://sb.test';
  /** "Open chat" opens the chat in the web inbox (signing in first), never the JSON API. */
  const inboxUrl = (chatId: string) => `${publicUrl}/#/chats/${chatId}`;

  /** The chats a panel shows, each read from its exact "Open chat" link. */
  const chatIdsIn = (data: Array<Record<string, unknown>>) =>
    data.map((o) => {
      const url = (o.open_chat as { value: string }).value;
      expect(url).toMatch(/^http:\/\/sb\.test\/#\/chats\/[A-Za-z0-9_-]+$/);
      return url.slice(inboxUrl('').length);
    });

  it('answers the panel called exactly as Pipedrive calls it, in Pipedrive’s format and limits, with the person’s phones from Pipedrive’s API', async () => {
    const callsBefore = fake.calls.length;
    const shown = await asPipedrive('GET', 'panel', { userId: pd.owner, selectedIds: '501' });
    expect(shown.status).toBe(200);
    const data = expectPipedrivePanel(shown.body);
    // Dana's two chats, found by the phone Pipedrive gives ("+49 30 555000"), newest first.
    expect(chatIdsIn(data)).toEqual([chatY, chatX]);
    expect(data[0]).toMatchObject({
      id: 1,
      header: 'Dana',
      channel: 'Agent 2’s line',
      assignee: 'agent2',
      last_message: 'Hello from y',
      status: { color: 'blue', label: 'Assigned' },
      open_chat: { label: 'Open chat', value: inboxUrl(chatY), external: true },
    });
    expect(data[1]).toMatchObject({
      channel: 'Web chat',
      assignee: 'agent1',
      open_chat: { value: inboxUrl(chatX) },
    });
    // Pipedrive's API was asked for the person, with the integration's API token.
    expect(fake.calls.slice(callsBefore)).toEqual([{ path: '/api/v1/persons/501', apiToken }]);
    // Opened again (or reloaded): the look-up is cached, Pipedrive is not asked again.
    const again = await asPipedrive('GET', 'panel', { userId: pd.owner, selectedIds: '501' });
    expect(again.body).toEqual(shown.body);
    expect(fake.calls.length).toBe(callsBefore + 1);
  });

  it('finds a deal’s person through Pipedrive’s deals API, an organization’s people, and answers {data: []} for nothing', async () => {
    const deal = await asPipedrive('GET', 'panel', {
      userId: pd.owner,
      resource: 'deal',
      selectedIds: '901',
    });
    expect(deal.status).toBe(200);
    expect(chatIdsIn(expectPipedrivePanel(deal.body))).toEqual([chatY, chatX]);
    expect(fake.calls.map((c) => c.path)).toContain('/api/v1/deals/901');

    const org = await asPipedrive('GET', 'panel', {
      userId: pd.owner,
      resource: 'organization',
      selectedIds: '301',
    });
    expect(chatIdsIn(expectPipedrivePanel(org.body)).sort()).toEqual([chatX, chatY, chatZ].sort());

    const nobody = await asPipedrive('GET', 'panel', { userId: pd.owner, selectedIds: '777' });
    expect(nobody.status).toBe(200);
    expect(nobody.body).toEqual({ data: [] });
  });

  /** A CRM record of the Pipedrive integration, linked by its server (signed with the JWT secret). */
  async function linkRecord(type: string, id: string, chatIds: string[]) {
    // Each signature is accepted once, on any path: the record names the request apart.
    const raw = JSON.stringify({
      chatIds,
      userEmails: ['o@pipe-co.test'],
      requestId: `${type}/${id}`,
    });
    const linked = await call('PUT', `/v1/crm/${integrationId}/records/${type}/${id}`, {
      raw,
      headers: signedHeaders(jwtSecret, raw),
    });
    expect(linked.status).toBe(200);
  }

  it('shows the chats of a CRM record linked to the Pipedrive entity', async () => {
    await linkRecord('person', '505', [chatR]);
    const shown = await asPipedrive('GET', 'panel', { userId: pd.owner, selectedIds: '505' });
    expect(chatIdsIn(expectPipedrivePanel(shown.body))).toEqual([chatR]);
  });

  it('refuses a token signed with another secret, another company and an unmapped user, in Pipedrive’s error shape', async () => {
    const wrongSecret = await asPipedrive(
      'GET',
      'panel',
      { userId: pd.owner, selectedIds: '501' },
      { secret: 'not-the-secret-set-in-developer-hub' },
    );
    expect(wrongSecret.status).toBe(401);
    expectPipedrivePanelError(wrongSecret);
    expect(wrongSecret.text).not.toContain(chatX);

    const otherCompany = await asPipedrive(
      'GET',
      'panel',
      { userId: pd.owner, selectedIds: '501' },
      { companyId: 7002 },
    );
    expect(otherCompany.status).toBe(403);
    expectPipedrivePanelError(otherCompany);

    const unmapped = await asPipedrive('GET', 'panel', { userId: pd.unmapped, selectedIds: '501' });
    expect(unmapped.status).toBe(403);
    expectPipedrivePanelError(unmapped);
    expect(unmapped.body.error.title).toBe('Not connected to Switchboard');

    // No token at all, or an integration that does not exist: not signed for it.
    const bare = await call(
      'GET',
      `/v1/crm/${integrationId}/pipedrive/panel?resource=person&view=details&userId=11&companyId=${companyId}&selectedIds=501`,
    );
    expect(bare.status).toBe(401);
    expectPipedrivePanelError(bare);
    const unknown = await asPipedrive(
      'GET',
      'panel',
      { userId: pd.owner, selectedIds: '501' },
      { integration: 'int_nope' },
    );
    expect(unknown.status).toBe(401);
    expectPipedrivePanelError(unknown);
  });

  it('an Agent sees in the panel only the chats they may see, as in the API', async () => {
    for (const [key, expected] of [
      ['agent1', [chatX]],
      ['agent2', [chatY]],
    ] as const) {
      const shown = await asPipedrive('GET', 'panel', { userId: pd[key], selectedIds: '501' });
      expect(chatIdsIn(expectPipedrivePanel(shown.body)), key).toEqual(expected);
      const list = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: people[key]!.token,
      });
      const viaApi = (list.body.items as Array<{ id: string; contact: { phone: string } }>)
        .filter((c) => c.contact.phone === '+4930555000')
        .map((c) => c.id);
      expect(chatIdsIn(shown.body.data), key).toEqual(viaApi);
      expect(shown.body.data[0].status).toEqual({ color: 'green', label: 'Assigned to you' });
    }
  });

  it('a masked member gets a masked panel: no phone or email anywhere in it', async () => {
    const masked = await asPipedrive('GET', 'panel', { userId: pd.masked, selectedIds: '502' });
    expect(masked.status).toBe(200);
    expect(chatIdsIn(expectPipedrivePanel(masked.body))).toEqual([chatZ]);
    expect(masked.text).not.toMatch(/777000|30 777|zoe@customer/);
    expect(masked.text).toContain('••');
    const modal = await asPipedrive('GET', 'modal', { userId: pd.masked, selectedIds: '502' });
    expect(modal.status).toBe(200);
    expect(modal.text).not.toMatch(/777000|30 777|zoe@customer/);
    // Unmasked, the same chat's preview shows them.
    const plain = await asPipedrive('GET', 'panel', { userId: pd.owner, selectedIds: '502' });
    expect(plain.text).toContain('+49 30 777000');
  });

  it('answers within Pipedrive’s 10 seconds when Pipedrive’s API is slow, with what linked records give', async () => {
    await linkRecord('person', '506', [chatR]);
    fake.delayMs = 8_000;
    try {
      const started = Date.now();
      const shown = await asPipedrive('GET', 'panel', { userId: pd.owner, selectedIds: '506' });
      // Answered without waiting for Pipedrive's API, which had not answered yet.
      expect(Date.now() - started).toBeLessThan(fake.delayMs);
      expect(shown.status).toBe(200);
      expect(chatIdsIn(expectPipedrivePanel(shown.body))).toEqual([chatR]);
    } finally {
      fake.delayMs = 0;
    }
  });

  it('takes HTTP Basic auth when the integration is set up with it', async () => {
    const created = await call('POST', `/v1/workspaces/${ws}/integrations`, {
      token: owner,
      body: {
        type: 'pipedrive',
        name: 'Pipedrive (basic)',
        companyId: String(companyId),
        basicAuth: { username: 'pipedrive', password: 'basic-password-1' },
        apiToken,
        apiBaseUrl: fake.url,
      },
    });
    expect(created.status).toBe(201);
    const basicId = created.body.integration.id as string;
    await call('PUT', `/v1/workspaces/${ws}/integrations/${basicId}/users/${pd.owner}`, {
      token: owner,
      body: { userId: people.owner!.id },
    });
    const path = `/v1/crm/${basicId}/pipedrive/panel${pipedrivePanelQuery({
      resource: 'person',
      selectedIds: '501',
      userId: pd.owner,
      companyId,
    })}`;
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    const ok = await call('GET', path, { headers: basic('pipedrive', 'basic-password-1') });
    expect(ok.status).toBe(200);
    expect(chatIdsIn(expectPipedrivePanel(ok.body))).toEqual([chatY, chatX]);
    const wrong = await call('GET', path, { headers: basic('pipedrive', 'nope-nope-nope') });
    expect(wrong.status).toBe(401);
    expectPipedrivePanelError(wrong);
    expectPipedrivePanelError(await call('GET', path));
  });

  it('the modal replies within the member’s reply rule: an Agent is refused on a colleague’s account, in Pipedrive’s error shape', async () => {
    // agent2 opens the modal on Dana: their chat Y is the one to choose.
    const opened = await asPipedrive('GET', 'modal', { userId: pd.agent2, selectedIds: '501' });
    expect(opened.status).toBe(200);
    expect(opened.body.data.blocks.chat).toMatchObject({
      items: [{ value: chatY, label: expect.stringContaining('Dana') }],
      value: chatY,
    });
    expect(opened.body.data.actions).toEqual({});

    const sent = await asPipedrive(
      'POST',
      'modal',
      { userId: pd.agent2, selectedIds: '501' },
      { body: { chat: chatY, message: 'Hello from Pipedrive' } },
    );
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({
      success: {
        message: 'Reply sent',
        type: 'snackbar',
        link: { label: 'Open chat', value: inboxUrl(chatY) },
      },
    });
    const history = await call('GET', `/v1/workspaces/${ws}/chats/${chatY}/messages`, {
      token: people.agent2!.token,
    });
    expect(history.body.items.map((m: { text: string }) => m.text)).toContain(
      'Hello from Pipedrive',
    );

    // agent1's chat X is on the workspace's account, not one agent1 connected: refused as
    // the API refuses it, in the modal's error shape, and nothing is stored.
    const count = async () =>
      Number(
        (
          await t.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('chat_id', '=', chatX)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const refused = await asPipedrive(
      'POST',
      'modal',
      { userId: pd.agent1, selectedIds: '501' },
      { body: { chat: chatX, message: 'Trying' } },
    );
    const viaApi = await call('POST', `/v1/workspaces/${ws}/chats/${chatX}/messages`, {
      token: people.agent1!.token,
      body: { text: 'Trying' },
    });
    expect(viaApi.status).toBe(403);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: { message: expect.any(String) } });
    expect(await count()).toBe(before);

    // A chat the member does not see does not exist for them; an empty message is an input error.
    const unseen = await asPipedrive(
      'POST',
      'modal',
      { userId: pd.agent1, selectedIds: '501' },
      { body: { chat: chatY, message: 'Trying' } },
    );
    expect(unseen.status).toBe(404);
    expect(unseen.body).toEqual({ error: { message: expect.any(String) } });
    const empty = await asPipedrive(
      'POST',
      'modal',
      { userId: pd.agent2, selectedIds: '501' },
      { body: { chat: chatY, message: '   ' } },
    );
    expect(empty.status).toBe(422);
    expect(empty.body).toEqual({ data: { blocks: { message: { error: expect.any(String) } } } });
    // A modal request with the wrong secret: 401 (Pipedrive's "reinstall" screen).
    const wrong = await asPipedrive(
      'POST',
      'modal',
      { userId: pd.agent2, selectedIds: '501' },
      { secret: 'not-the-secret-set-in-developer-hub', body: { chat: chatY, message: 'x' } },
    );
    expect(wrong.status).toBe(401);
  });

  it('serves the JSON schemas to upload in Developer Hub', async () => {
    const panel = await call('GET', '/v1/crm/pipedrive/schemas/panel');
    expect(panel.status).toBe(200);
    expect(panel.body.items.required).toEqual(['id', 'header']);
    const modal = await call('GET', '/v1/crm/pipedrive/schemas/modal');
    expect(Object.keys(modal.body.properties.blocks.properties)).toEqual([
      'info',
      'chat',
      'message',
    ]);
  });
});
