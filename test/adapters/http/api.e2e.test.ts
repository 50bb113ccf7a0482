import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  openStream,
  signedHeaders,
  startApi,
  startReceiver,
  type Reply,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * shared/API.md end to end, over a real socket against real PostgreSQL: a workspace built only
 * through the API, every user's chat list against PRODUCT.md §3.2, the reply rule, every
 * forbidden admin action of §2, tenancy, and hostile inbound requests.
 */
type Key =
  'owner' | 'admin' | 'teammate' | 'agent' | 'collaborator' | 'agent2' | 'teammate2' | 'euAgent';

describe('the REST API over a real socket', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws = '';
  const token: Partial<Record<Key, string>> = {};
  const userId: Partial<Record<Key, string>> = {};
  const team: Record<string, string> = {};
  const channel: Record<string, { id: string; secret: string }> = {};
  const chat: Record<string, string> = {};
  let messageNo = 0;

  const as = (k: Key) => token[k] as string;
  async function inbound(ch: string, chatKey: string, text: string, phone: string) {
    const raw = JSON.stringify({
      messageId: `m${++messageNo}`,
      chatId: `${phone}@c.us`,
      contact: { name: `Customer ${chatKey}`, phone: `+${phone}` },
      text,
      sentAt: new Date(Date.UTC(2026, 10, 22, 9, messageNo)).toISOString(),
    });
    const { id, secret } = channel[ch] as { id: string; secret: string };
    const res = await call('POST', `/v1/inbound/webhook/${id}`, {
      raw,
      headers: signedHeaders(secret, raw),
    });
    expect(res.status).toBe(202);
    return raw;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    receiver = await startReceiver();

    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: {
        name: 'Acme',
        workspace: { name: 'Support' },
        owner: { email: 'olga@acme.test', name: 'Olga' },
      },
    });
    expect(org.status).toBe(201);
    ws = org.body.workspace.id;
    token.owner = org.body.token;
    userId.owner = org.body.owner.id;

    for (const [key, name, parent] of [
      ['sales', 'Sales', null],
      ['salesEu', 'Sales EU', 'sales'],
      ['support', 'Support', null],
    ] as const) {
      const res = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: as('owner'),
        body: { name, parentId: parent ? team[parent] : undefined },
      });
      expect(res.status).toBe(201);
      team[key] = res.body.team.id;
    }

    const people: Array<[Key, string, string, string[]]> = [
      ['admin', 'admin', 'Adam', []],
      ['teammate', 'teammate', 'Tina', ['sales']],
      ['agent', 'agent', 'Agnes', ['sales']],
      ['collaborator', 'collaborator', 'Cole', []],
      ['agent2', 'agent', 'Bert', ['support']],
      ['teammate2', 'teammate', 'Tom', ['support']],
      ['euAgent', 'agent', 'Eva', ['salesEu']],
    ];
    for (const [key, role, name, teams] of people) {
      const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: as('owner'),
        body: {
          email: `${key.toLowerCase()}@acme.test`,
          name,
          role,
          teamIds: teams.map((k) => team[k]),
        },
      });
      expect(invite.status).toBe(201);
      expect(invite.body.invitation.status).toBe('pending');
      const accepted = await call('POST', '/v1/invitations/accept', {
        body: { token: invite.body.invitation.token },
      });
      expect(accepted.status).toBe(200);
      token[key] = accepted.body.token;
      userId[key] = accepted.body.user.id;
    }

    const connect = async (name: string, by: Key, owner?: object) => {
      const res = await call('POST', `/v1/workspaces/${ws}/channels`, {
        token: as(by),
        body: { type: 'webhook', name, owner, outboundUrl: receiver.url },
      });
      expect(res.status).toBe(201);
      channel[name] = { id: res.body.channel.id, secret: res.body.channel.inbound.secret };
    };
    await connect('hq', 'owner', { type: 'workspace' });
    await connect('agent', 'agent');
    await connect('agent2', 'agent2');
    await connect('sales', 'admin', { type: 'team', id: team.sales });
    await connect('eu', 'euAgent');

    const chats: Array<[string, string]> = [
      ['hqUnassigned', 'hq'],
      ['hqCollab', 'hq'],
      ['hqAgent', 'hq'],
      ['agentOwn', 'agent'],
      ['agent2Own', 'agent2'],
      ['salesTeam', 'sales'],
      ['eu', 'eu'],
      ['agent2ToSales', 'agent2'],
      ['hqParticipant', 'hq'],
    ];
    for (const [i, [key, ch]] of chats.entries())
      await inbound(ch, key, `hello ${key}`, `49151000000${i}`);
    const list = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: as('owner') });
    expect(list.body.items).toHaveLength(chats.length);
    for (const item of list.body.items)
      chat[item.lastMessagePreview.replace('hello ', '')] = item.id;

    const assign = async (c: string, body: object) =>
      expect(
        (
          await call('PUT', `/v1/workspaces/${ws}/chats/${chat[c]}/assignee`, {
            token: as('owner'),
            body,
          })
        ).status,
      ).toBe(200);
    await assign('hqCollab', { type: 'user', id: userId.collaborator });
    await assign('hqAgent', { type: 'user', id: userId.agent });
    await assign('agent2ToSales', { type: 'team', id: team.sales });
    const join = await call(
      'POST',
      `/v1/workspaces/${ws}/chats/${chat.hqParticipant}/participants`,
      { token: as('owner'), body: { userId: userId.agent2 } },
    );
    expect(join.status).toBe(201);
    const joined = await call('GET', `/v1/workspaces/${ws}/chats/${chat.hqParticipant}`, {
      token: as('agent2'),
    });
    expect(joined.body.chat.participants).toEqual([userId.agent2]);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await t?.drop();
  });

  // PRODUCT.md §3.2, built from the API: own chats, same-team chats (sub-teams included),
  // other teams' chats, assigned chats, and everything for Owner/Admin.
  const expected: Record<Key, string[]> = {
    owner: [
      'hqUnassigned',
      'hqCollab',
      'hqAgent',
      'agentOwn',
      'agent2Own',
      'salesTeam',
      'eu',
      'agent2ToSales',
      'hqParticipant',
    ],
    admin: [
      'hqUnassigned',
      'hqCollab',
      'hqAgent',
      'agentOwn',
      'agent2Own',
      'salesTeam',
      'eu',
      'agent2ToSales',
      'hqParticipant',
    ],
    teammate: ['hqAgent', 'agentOwn', 'salesTeam', 'eu', 'agent2ToSales'],
    agent: ['hqAgent', 'agentOwn'],
    collaborator: ['hqCollab'],
    agent2: ['agent2Own', 'agent2ToSales', 'hqParticipant'],
    teammate2: ['agent2Own', 'agent2ToSales'],
    euAgent: ['eu'],
  };

  it.each(Object.keys(expected) as Key[])(
    '§3.2 the chat list of the %s is exactly what the role table allows',
    async (key) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Reply = await call(
          'GET',
          `/v1/workspaces/${ws}/chats?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { token: as(key) },
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      const names = Object.fromEntries(Object.entries(chat).map(([k, v]) => [v, k]));
      expect(seen.map((id) => names[id]).sort()).toEqual([...expected[key]].sort());
      // Newest activity first.
      const full = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: as(key) });
      const times = full.body.items.map((i: { lastMessageAt: string }) => i.lastMessageAt);
      expect(times).toEqual([...times].sort().reverse());
      // The badges count what the list's tabs show.
      const tab = async (assignee: string) =>
        (
          await call('GET', `/v1/workspaces/${ws}/chats?limit=200&assignee=${assignee}`, {
            token: as(key),
          })
        ).body.items.length as number;
      const counts = await call('GET', `/v1/workspaces/${ws}/chats/counts`, { token: as(key) });
      expect(counts.status).toBe(200);
      expect(counts.body).toEqual({
        all: expected[key].length,
        unassigned: await tab('unassigned'),
        mine: await tab('me'),
      });
    },
  );

  it('a chat the caller may not see is not found, by every route', async () => {
    for (const path of ['', '/messages', '/audience']) {
      const res = await call('GET', `/v1/workspaces/${ws}/chats/${chat.agent2Own}${path}`, {
        token: as('agent'),
      });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const reply = await call('POST', `/v1/workspaces/${ws}/chats/${chat.agent2Own}/messages`, {
      token: as('agent'),
      body: { text: 'hi' },
    });
    expect(reply.status).toBe(404);
  });

  describe('§3.3 the reply rule', () => {
    const reply = (who: Key, c: string, body: object) =>
      call('POST', `/v1/workspaces/${ws}/chats/${chat[c]}/messages`, { token: as(who), body });

    it('an Agent replies through the account they connected, and the reply is POSTed signed to the channel', async () => {
      const res = await reply('agent', 'agentOwn', { text: 'On it!' });
      expect(res.status).toBe(201);
      expect(res.body.message).toMatchObject({
        direction: 'out',
        text: 'On it!',
        authorUserId: userId.agent,
        channelId: channel.agent?.id,
      });
      await expect
        .poll(() => receiver.received.find((r) => r.body.includes('On it!')), { timeout: 15_000 })
        .toBeTruthy();
      const delivered = receiver.received.find((r) => r.body.includes('On it!'));
      expect(delivered?.headers['x-switchboard-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
      await expect
        .poll(
          async () =>
            (
              await call('GET', `/v1/workspaces/${ws}/chats/${chat.agentOwn}/messages`, {
                token: as('agent'),
              })
            ).body.items[0].status,
          { timeout: 15_000 },
        )
        .toBe('sent');
    });

    it("an Agent never replies through a colleague's or HQ's account, even on a chat assigned to them", async () => {
      const res = await reply('agent', 'hqAgent', { text: 'via HQ' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(
        (await reply('agent', 'agentOwn', { text: 'via HQ', channelId: channel.hq?.id })).status,
      ).toBe(403);
      // …but answers the same chat through their own account.
      expect(
        (await reply('agent', 'hqAgent', { text: 'from my number', channelId: channel.agent?.id }))
          .status,
      ).toBe(201);
    });

    it('a Collaborator answers an assigned chat through the workspace account', async () => {
      expect((await reply('collaborator', 'hqCollab', { text: 'collab here' })).status).toBe(201);
    });

    it("a Teammate replies through a same-team member's account, and cannot reach another team's chat", async () => {
      expect((await reply('teammate', 'agentOwn', { text: 'teammate here' })).status).toBe(201);
      expect((await reply('teammate', 'agent2Own', { text: 'nope' })).status).toBe(404);
    });

    it('each listed channel says what the caller may do with it, as the policy decides', async () => {
      const mayOf = async (who: Key) => {
        const res = await call('GET', `/v1/workspaces/${ws}/channels`, { token: as(who) });
        expect(res.status).toBe(200);
        const byId = new Map(
          (res.body.items as Array<{ id: string; may: object }>).map((c) => [c.id, c.may]),
        );
        return (name: string) => byId.get(channel[name]?.id ?? '');
      };
      const owners = await mayOf('owner');
      expect(owners('hq')).toEqual({ edit: true, connect: true, use: true });
      expect(owners('agent')).toEqual({ edit: true, connect: true, use: true });
      // An Agent: their own account only (channel.* "own"); HQ's is not listed at all.
      const agents = await mayOf('agent');
      expect(agents('agent')).toEqual({ edit: true, connect: true, use: true });
      expect(agents('hq')).toBeUndefined();
      // A Teammate sees and uses a same-team member's account, but edits only their own.
      const mates = await mayOf('teammate');
      expect(mates('agent')).toEqual({ edit: false, connect: false, use: true });
    });

    it('refuses an empty or oversized reply with details', async () => {
      const res = await reply('agent', 'agentOwn', { text: '' });
      expect(res.status).toBe(422);
      expect(res.body.error.details[0].path).toBe('body.text');
    });
  });

  describe('§2 what nobody may do', () => {
    const patch = (who: Key, target: Key, body: object) =>
      call('PATCH', `/v1/workspaces/${ws}/members/${userId[target]}`, { token: as(who), body });
    const act = (who: Key, target: Key, action: string, body?: object) =>
      call('POST', `/v1/workspaces/${ws}/members/${userId[target]}/${action}`, {
        token: as(who),
        body: body ?? {},
      });

    it.each([
      [
        'an Agent invites anyone',
        () =>
          call('POST', `/v1/workspaces/${ws}/invitations`, {
            token: as('agent'),
            body: { email: 'x@acme.test', name: 'X', role: 'agent' },
          }),
      ],
      [
        'an Admin invites an Owner',
        () =>
          call('POST', `/v1/workspaces/${ws}/invitations`, {
            token: as('admin'),
            body: { email: 'y@acme.test', name: 'Y', role: 'owner' },
          }),
      ],
      ['an Admin promotes someone to Owner', () => patch('admin', 'agent', { role: 'owner' })],
      ['an Admin changes their own role', () => patch('admin', 'admin', { role: 'agent' })],
      [
        'an Admin changes their own restrictions',
        () => patch('admin', 'admin', { restrictions: { noDataExport: true } }),
      ],
      ['an Admin suspends an Owner', () => act('admin', 'owner', 'suspend')],
      ['an Admin revokes an Owner', () => act('admin', 'owner', 'revoke')],
      ['an Admin demotes an Owner', () => patch('admin', 'owner', { role: 'agent' })],
      ['an Owner suspends themselves', () => act('owner', 'owner', 'suspend')],
      ['an Owner revokes themselves', () => act('owner', 'owner', 'revoke')],
      ['an Owner demotes themselves', () => patch('owner', 'owner', { role: 'admin' })],
      [
        'a Teammate changes an Agent’s role',
        () => patch('teammate', 'agent', { role: 'teammate' }),
      ],
      ['an Agent suspends a colleague', () => act('agent', 'euAgent', 'suspend')],
    ])('§2 forbidden: %s', async (_rule, attempt) => {
      const res = await attempt();
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    });

    it('suspension takes effect at once and reinstating restores access; wrong states conflict', async () => {
      expect((await act('owner', 'agent', 'reinstate')).status).toBe(409);
      const suspended = await act('admin', 'euAgent', 'suspend');
      expect(suspended.status).toBe(200);
      expect(suspended.body.member.status).toBe('suspended');
      const refused = await call('GET', `/v1/workspaces/${ws}/chats`, { token: as('euAgent') });
      expect(refused.status).toBe(403);
      expect((await act('admin', 'euAgent', 'suspend')).status).toBe(409);
      expect((await act('admin', 'euAgent', 'reinstate')).status).toBe(200);
      expect(
        (await call('GET', `/v1/workspaces/${ws}/chats`, { token: as('euAgent') })).status,
      ).toBe(200);
    });

    it('revoking answers 202 with a job, ends access at once, and cannot be repeated', async () => {
      const res = await act('owner', 'teammate2', 'revoke', { reassignTo: userId.agent2 });
      expect(res.status).toBe(202);
      const job = await call('GET', `/v1/jobs/${res.body.job.id}`, { token: as('owner') });
      expect(job.status).toBe(200);
      expect(job.body).toMatchObject({
        id: res.body.job.id,
        type: 'member.revoke',
        progress: { done: 0, total: 0 },
      });
      expect(
        (await call('GET', `/v1/workspaces/${ws}/chats`, { token: as('teammate2') })).status,
      ).toBe(404);
      expect((await act('owner', 'teammate2', 'revoke')).status).toBe(409);
      expect((await act('owner', 'agent', 'revoke', { reassignTo: userId.teammate2 })).status).toBe(
        422,
      );
    });

    it('an invitation is accepted once; inviting a member again conflicts', async () => {
      const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: as('admin'),
        body: { email: 'Zed@Acme.test', name: 'Zed', role: 'agent' },
      });
      expect(invite.status).toBe(201);
      expect(invite.body.invitation.email).toBe('zed@acme.test');
      const members = await call('GET', `/v1/workspaces/${ws}/members`, { token: as('admin') });
      expect(
        members.body.items.find(
          (m: { user: { email: string } }) => m.user.email === 'zed@acme.test',
        ),
      ).toMatchObject({ status: 'pending', user: { id: null } });
      expect(
        (
          await call('POST', '/v1/invitations/accept', {
            body: { token: invite.body.invitation.token },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await call('POST', '/v1/invitations/accept', {
            body: { token: invite.body.invitation.token },
          })
        ).status,
      ).toBe(409);
      expect(
        (
          await call('POST', '/v1/invitations/accept', {
            body: { token: 'sbi_unknown_token_value' },
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/invitations`, {
            token: as('admin'),
            body: { email: 'zed@acme.test', name: 'Zed', role: 'agent' },
          })
        ).status,
      ).toBe(409);
    });

    it('every admin action left an audit entry (who, what, before/after)', async () => {
      const entries = await t.db
        .selectFrom('audit_log')
        .select(['action', 'actor_user_id', 'before', 'after'])
        .where('workspace_id', '=', ws)
        .execute();
      const actions = new Set(entries.map((e) => e.action));
      for (const action of [
        'organization.create',
        'team.create',
        'member.invite',
        'member.join',
        'channel.connect',
        'chat.assign',
        'member.suspend',
        'member.reinstate',
        'member.revoke',
      ]) {
        expect(actions.has(action), action).toBe(true);
      }
      const suspend = entries.find((e) => e.action === 'member.suspend');
      expect(suspend).toMatchObject({
        actor_user_id: userId.admin,
        before: { status: 'active' },
        after: { status: 'suspended' },
      });
    });
  });

  describe('members, roles, explain', () => {
    it('exports the member list as CSV for admins only', async () => {
      const csv = await call('GET', `/v1/workspaces/${ws}/members.csv`, { token: as('admin') });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.text.split('\r\n')[0]).toBe('name,email,role,status,teams,last seen');
      expect(csv.text).toContain('Tina,teammate@acme.test,teammate,active,Sales,');
      expect(
        (await call('GET', `/v1/workspaces/${ws}/members.csv`, { token: as('agent') })).status,
      ).toBe(403);
    });

    it('custom roles: dependencies are enforced, and a team binding broadens its members', async () => {
      const bad = await call('POST', `/v1/workspaces/${ws}/roles`, {
        token: as('admin'),
        body: { name: 'Broken', permissions: { 'chat.reply': 'all', 'chat.view': 'own' } },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.error.details[0].path).toBe('permissions.chat.reply');
      const role = await call('POST', `/v1/workspaces/${ws}/roles`, {
        token: as('admin'),
        body: { name: 'Desk', permissions: { 'chat.view': 'all' } },
      });
      expect(role.status).toBe(201);
      const before = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: as('euAgent'),
      });
      const bind = await call('POST', `/v1/workspaces/${ws}/role-bindings`, {
        token: as('admin'),
        body: { roleId: role.body.role.id, subject: { type: 'team', id: team.salesEu } },
      });
      expect(bind.status).toBe(201);
      const after = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: as('euAgent'),
      });
      expect(before.body.items.length).toBe(1);
      expect(after.body.items.length).toBe(Object.keys(chat).length);
      const roles = await call('GET', `/v1/workspaces/${ws}/roles`, { token: as('agent') });
      expect(roles.body.items.map((r: { id: string }) => r.id)).toEqual(
        expect.arrayContaining([
          'owner',
          'admin',
          'teammate',
          'agent',
          'collaborator',
          role.body.role.id,
        ]),
      );
    });

    it('explains a decision and lists who can see a chat', async () => {
      const why = await call(
        'GET',
        `/v1/workspaces/${ws}/access/explain?userId=${userId.agent}&chatId=${chat.hqAgent}&action=chat.view`,
        { token: as('owner') },
      );
      expect(why.status).toBe(200);
      expect(why.body.allowed).toBe(true);
      expect(why.body.reasons.join(' ')).toContain('assigned to you');
      const no = await call(
        'GET',
        `/v1/workspaces/${ws}/access/explain?userId=${userId.agent}&chatId=${chat.hqAgent}&action=chat.reply`,
        { token: as('owner') },
      );
      expect(no.body.allowed).toBe(false);
      expect(
        (
          await call(
            'GET',
            `/v1/workspaces/${ws}/access/explain?userId=${userId.owner}&chatId=${chat.hqAgent}`,
            { token: as('agent') },
          )
        ).status,
      ).toBe(403);
      const audience = await call('GET', `/v1/workspaces/${ws}/chats/${chat.hqCollab}/audience`, {
        token: as('owner'),
      });
      expect(audience.body.users.map((u: { id: string }) => u.id).sort()).toEqual(
        [userId.owner, userId.admin, userId.collaborator, userId.euAgent].sort(),
      );
    });
  });

  it('serves the OpenAPI document generated from the same zod schemas', async () => {
    const doc = await call('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    for (const path of [
      '/v1/organizations',
      '/v1/workspaces/{ws}/chats',
      '/v1/workspaces/{ws}/members/{userId}/revoke',
      '/v1/inbound/webhook/{channelId}',
      '/v1/workspaces/{ws}/access/explain',
    ]) {
      expect(Object.keys(doc.body.paths), path).toContain(path);
    }
    const invite =
      doc.body.paths['/v1/workspaces/{ws}/invitations'].post.requestBody.content['application/json']
        .schema;
    expect(invite.required).toEqual(expect.arrayContaining(['email', 'name', 'role']));
  });

  describe('webhook subscriptions', () => {
    it('admins subscribe a URL to events; the secret is shown once; others may not', async () => {
      const res = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
        token: as('admin'),
        body: { url: 'https://crm.example/hook', events: ['message.created'] },
      });
      expect(res.status).toBe(201);
      expect(res.body.webhook).toMatchObject({
        url: 'https://crm.example/hook',
        events: ['message.created'],
        status: 'active',
        createdBy: userId.admin,
      });
      expect(res.body.webhook.secret).toMatch(/^[0-9a-f]{64}$/);
      const list = await call('GET', `/v1/workspaces/${ws}/webhooks`, { token: as('admin') });
      expect(list.body.items.map((w: { id: string }) => w.id)).toContain(res.body.webhook.id);
      expect(list.text).not.toContain(res.body.webhook.secret);
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/webhooks`, {
            token: as('agent'),
            body: { url: 'https://x.example', events: ['*'] },
          })
        ).status,
      ).toBe(403);
      const bad = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
        token: as('admin'),
        body: { url: 'ftp://x', events: ['nope'] },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining(['body.url', 'body.events.0']),
      );
    });
  });

  describe('the live event stream', () => {
    it('delivers each event only to users who may see the chat, redacted for each, and ends when access ends', async () => {
      const path = `/v1/workspaces/${ws}/events`;
      const masked = await call('PATCH', `/v1/workspaces/${ws}/members/${userId.agent2}`, {
        token: as('owner'),
        body: { restrictions: { maskContactIdentifiers: true } },
      });
      expect(masked.status).toBe(200);
      const owner = await openStream(api.base, path, as('owner'));
      const agent = await openStream(api.base, path, as('agent'));
      const agent2 = await openStream(api.base, path, as('agent2'));
      expect([owner.status, agent.status, agent2.status]).toEqual([200, 200, 200]);
      await expect.poll(() => agent2.events.some((e) => e.event === 'ready')).toBe(true);
      await expect.poll(() => agent.events.some((e) => e.event === 'ready')).toBe(true);
      const members = await call('GET', `/v1/workspaces/${ws}/members`, { token: as('owner') });
      expect(
        members.body.items.find((m: { user: { id: string } }) => m.user.id === userId.agent2)
          .online,
      ).toBe(true);

      await inbound('agent2', 'live', 'call me on +49 151 7777 0000', '4915177770000');
      const isLive = (e: { event: string; data: any }) =>
        e.event === 'message.created' && e.data.message?.text.includes('call me');
      await expect.poll(() => owner.events.some(isLive), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => agent2.events.some(isLive), { timeout: 10_000 }).toBe(true);
      const forOwner = owner.events.find(isLive);
      const forAgent2 = agent2.events.find(isLive);
      expect(forOwner?.data.chat.contact.phone).toBe('+4915177770000');
      expect(JSON.stringify(forAgent2?.data).replace(/\D/g, '')).not.toContain('4915177770000');
      expect(forAgent2?.data.message.text).not.toContain('7777 0000');
      // The Agent of another team never hears of it, by any event.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(agent.events.filter((e) => e.event !== 'ready')).toEqual([]);

      // Suspension ends the stream at once.
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/members/${userId.agent2}/suspend`, {
            token: as('owner'),
          })
        ).status,
      ).toBe(200);
      await expect
        .poll(() => agent2.events.some((e) => e.event === 'access.ended'), { timeout: 10_000 })
        .toBe(true);
      await expect.poll(() => agent2.ended(), { timeout: 10_000 }).toBe(true);
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/members/${userId.agent2}/reinstate`, {
            token: as('owner'),
          })
        ).status,
      ).toBe(200);
      owner.close();
      agent.close();
    });
  });

  describe('tenancy', () => {
    let other: { ws: string; token: string; chat: string; channel: string };
    beforeAll(async () => {
      const org = await call('POST', '/v1/organizations', {
        token: api.platformToken,
        body: {
          name: 'Globex',
          workspace: { name: 'Sales' },
          owner: { email: 'gina@globex.test', name: 'Gina' },
        },
      });
      const ch = await call('POST', `/v1/workspaces/${org.body.workspace.id}/channels`, {
        token: org.body.token,
        body: { type: 'webhook', name: 'g' },
      });
      const raw = JSON.stringify({
        messageId: 'g1',
        chatId: 'g-chat',
        contact: { name: 'G' },
        text: 'secret globex',
        sentAt: new Date().toISOString(),
      });
      await call('POST', `/v1/inbound/webhook/${ch.body.channel.id}`, {
        raw,
        headers: signedHeaders(ch.body.channel.inbound.secret, raw),
      });
      const list = await call('GET', `/v1/workspaces/${org.body.workspace.id}/chats`, {
        token: org.body.token,
      });
      other = {
        ws: org.body.workspace.id,
        token: org.body.token,
        chat: list.body.items[0].id,
        channel: ch.body.channel.id,
      };
    });

    it("another workspace's ids answer not_found, never forbidden", async () => {
      const probes = [
        ['GET', `/v1/workspaces/${other.ws}`],
        ['GET', `/v1/workspaces/${other.ws}/chats`],
        ['GET', `/v1/workspaces/${ws}/chats/${other.chat}`],
        ['GET', `/v1/workspaces/${ws}/chats/${other.chat}/messages`],
        ['GET', `/v1/workspaces/${ws}/access/explain?userId=${userId.owner}&chatId=${other.chat}`],
        ['PUT', `/v1/workspaces/${ws}/teams/${team.sales}/members/nobody`],
      ] as const;
      for (const [method, path] of probes) {
        const res = await call(method, path, { token: as('owner') });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
      const viaOther = await call('POST', `/v1/workspaces/${ws}/chats/${chat.agentOwn}/messages`, {
        token: as('owner'),
        body: { text: 'x', channelId: other.channel },
      });
      expect(viaOther.status).toBe(404);
      const mine = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: as('owner'),
      });
      expect(mine.text).not.toContain('globex');
    });

    it('the platform token only creates organizations; unknown tokens are 401', async () => {
      expect((await call('GET', `/v1/workspaces/${ws}`, { token: api.platformToken })).status).toBe(
        401,
      );
      expect(
        (
          await call('POST', '/v1/organizations', {
            token: as('owner'),
            body: { name: 'x', workspace: { name: 'y' }, owner: { email: 'a@b.co', name: 'z' } },
          })
        ).status,
      ).toBe(401);
      expect((await call('GET', `/v1/workspaces/${ws}/chats`)).status).toBe(401);
      expect((await call('GET', `/v1/workspaces/${ws}/chats`, { token: 'sbu_nope' })).status).toBe(
        401,
      );
    });
  });

  describe('hostile inbound requests', () => {
    const body = (id: string) =>
      JSON.stringify({
        messageId: id,
        chatId: 'hostile',
        contact: { name: 'H', phone: '+4915199999999' },
        text: 'hi',
        sentAt: new Date().toISOString(),
      });
    const post = (raw: string, headers: Record<string, string>) =>
      call('POST', `/v1/inbound/webhook/${channel.agent?.id}`, { raw, headers });
    const secret = () => channel.agent?.secret as string;
    const count = async () =>
      Number(
        (
          await t.db
            .selectFrom('messages')
            .select((e) => e.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('refuses unsigned, wrongly signed, stale and unknown-channel requests with 401 and stores nothing', async () => {
      const before = await count();
      const raw = body('h1');
      expect((await post(raw, {})).status).toBe(401);
      expect(
        (
          await post(raw, {
            ...signedHeaders(secret(), raw),
            'x-switchboard-signature': `v1=${'0'.repeat(64)}`,
          })
        ).status,
      ).toBe(401);
      expect(
        (await post(raw, signedHeaders(secret(), raw, Math.floor(Date.now() / 1000) - 301))).status,
      ).toBe(401);
      expect(
        (await post(raw, signedHeaders(secret(), raw, Math.floor(Date.now() / 1000) + 301))).status,
      ).toBe(401);
      expect((await post(raw, signedHeaders('another-secret', raw))).status).toBe(401);
      const unknown = await call('POST', '/v1/inbound/webhook/ch_unknown', {
        raw,
        headers: signedHeaders(secret(), raw),
      });
      expect(unknown.status).toBe(401);
      expect(await count()).toBe(before);
    });

    it('refuses malformed and oversized bodies, even when signed', async () => {
      const before = await count();
      const malformed = '{"messageId": ';
      const res = await post(malformed, signedHeaders(secret(), malformed));
      expect(res.status).toBe(422);
      const invalid = JSON.stringify({
        messageId: '',
        chatId: 'x',
        contact: { name: 'n', phone: 'not a phone' },
        text: 'x',
        sentAt: 'yesterday',
      });
      const inv = await post(invalid, signedHeaders(secret(), invalid));
      expect(inv.status).toBe(422);
      expect(inv.body.error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining(['body.messageId', 'body.contact.phone', 'body.sentAt']),
      );
      const huge = JSON.stringify({
        messageId: 'big',
        chatId: 'x',
        contact: { name: 'n' },
        text: 'x'.repeat(100_000),
        sentAt: new Date().toISOString(),
      });
      expect((await post(huge, signedHeaders(secret(), huge))).status).toBe(413);
      expect(await count()).toBe(before);
    });

    it('a replayed message answers duplicate and changes nothing', async () => {
      const raw = body('replayed');
      const first = await post(raw, signedHeaders(secret(), raw));
      expect(first.body).toEqual({ accepted: true, duplicate: false });
      const before = await count();
      const chats = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: as('agent'),
      });
      const again = await post(raw, signedHeaders(secret(), raw));
      expect(again.status).toBe(202);
      expect(again.body).toEqual({ accepted: true, duplicate: true });
      expect(await count()).toBe(before);
      expect(
        (await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: as('agent') })).body,
      ).toEqual(chats.body);
    });
  });
  describe('teams', () => {
    it('a suspended team stops giving access at once; its hand-back runs as a job', async () => {
      const before = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: as('teammate'),
      });
      expect(before.body.items.map((i: { id: string }) => i.id)).toContain(chat.eu);
      const res = await call('POST', `/v1/workspaces/${ws}/teams/${team.salesEu}/suspend`, {
        token: as('admin'),
      });
      expect(res.status).toBe(202);
      const job = await call('GET', `/v1/jobs/${res.body.job.id}`, { token: as('admin') });
      expect(job.body.type).toBe('team.suspend');
      const after = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, {
        token: as('teammate'),
      });
      expect(after.body.items.map((i: { id: string }) => i.id)).not.toContain(chat.eu);
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/teams/${team.salesEu}/suspend`, {
            token: as('admin'),
          })
        ).status,
      ).toBe(409);
      expect(
        (
          await call('POST', `/v1/workspaces/${ws}/teams/${team.sales}/suspend`, {
            token: as('teammate'),
          })
        ).status,
      ).toBe(403);
      expect(
        (await call('DELETE', `/v1/workspaces/${ws}/teams/${team.salesEu}`, { token: as('owner') }))
          .status,
      ).toBe(202);
      expect(
        (await call('DELETE', `/v1/workspaces/${ws}/teams/${team.salesEu}`, { token: as('owner') }))
          .status,
      ).toBe(404);
    });
  });
});
