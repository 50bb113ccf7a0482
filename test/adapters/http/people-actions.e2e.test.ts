import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  signedHeaders,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * The people actions over a real socket (issue 18): a revoke's `reassignTo` gets every chat of
 * the revoked member when they can be assigned chats and is refused up front otherwise
 * (PRODUCT.md §3.2 "Assignment"); the last active Owner survives two Owners acting on each
 * other at the same moment (PRODUCT.md §2).
 */
describe('people actions over a real socket', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let workspaces = 0;
  let invited = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  async function workspace() {
    const made = await createWorkspaceWithChannel(api, `People ${++workspaces}`);
    const me = await call('GET', `/v1/workspaces/${made.ws}/members`, { token: made.owner });
    return { ...made, ownerId: me.body.items[0].user.id as string };
  }

  async function invite(ws: string, by: string, key: string, role: string, teamIds: string[] = []) {
    const invitation = await call('POST', `/v1/workspaces/${ws}/invitations`, {
      token: by,
      body: { email: `${key}.${++invited}@people.test`, name: key, role, teamIds },
    });
    expect(invitation.status).toBe(201);
    const accepted = await call('POST', '/v1/invitations/accept', {
      body: { token: invitation.body.invitation.token },
    });
    expect(accepted.status).toBe(200);
    return { id: accepted.body.user.id as string, token: accepted.body.token as string };
  }

  async function jobsOf(ws: string) {
    return t.db.selectFrom('jobs').select(['id', 'state']).where('workspace_id', '=', ws).execute();
  }

  async function statusOf(ws: string, token: string, userId: string) {
    const members = await call('GET', `/v1/workspaces/${ws}/members`, { token });
    return members.body.items.find((m: { user: { id: string } }) => m.user.id === userId)?.status;
  }

  it('§3.2: a reassignTo who cannot be assigned chats is refused with 422 before any job starts', async () => {
    const { ws, owner } = await workspace();
    const other = await workspace();
    const leaver = await invite(ws, owner, 'leaver', 'agent');
    const suspended = await invite(ws, owner, 'suspended', 'agent');
    const revoked = await invite(ws, owner, 'revoked', 'agent');
    const role = await call('POST', `/v1/workspaces/${ws}/roles`, {
      token: owner,
      body: { name: 'Sees nothing', permissions: { 'chat.view': 'none' } },
    });
    expect(role.status).toBe(201);
    const blind = await invite(ws, owner, 'blind', role.body.role.id);
    expect(
      (await call('POST', `/v1/workspaces/${ws}/members/${suspended.id}/suspend`, { token: owner }))
        .status,
    ).toBe(200);
    expect(
      (
        await call('POST', `/v1/workspaces/${ws}/members/${revoked.id}/revoke`, {
          token: owner,
          body: {},
        })
      ).status,
    ).toBe(202);
    const jobsBefore = (await jobsOf(ws)).length;

    for (const [why, heir] of [
      ['suspended', suspended.id],
      ['revoked', revoked.id],
      ['chat.view none', blind.id],
      ['not a member (another workspace’s Owner)', other.ownerId],
      ['not anyone', 'usr_nobody'],
      ['the member being revoked', leaver.id],
    ] as const) {
      const res = await call('POST', `/v1/workspaces/${ws}/members/${leaver.id}/revoke`, {
        token: owner,
        body: { reassignTo: heir },
      });
      expect(res.status, why).toBe(422);
      expect(res.body.error.code, why).toBe('invalid_input');
      expect(res.body.error.details[0].path, why).toBe('body.reassignTo');
    }
    expect(await statusOf(ws, owner, leaver.id)).toBe('active');
    expect((await jobsOf(ws)).length).toBe(jobsBefore);
  });

  it('§3.2: revoke with reassignTo gives the chosen member every chat of the revoked one, also chats they could not see', async () => {
    const { ws, owner, channel } = await workspace();
    const teams: string[] = [];
    for (const name of ['Sales', 'Support']) {
      const res = await call('POST', `/v1/workspaces/${ws}/teams`, {
        token: owner,
        body: { name },
      });
      expect(res.status).toBe(201);
      teams.push(res.body.team.id);
    }
    const leaver = await invite(ws, owner, 'leaver', 'teammate', [teams[0] as string]);
    // An Agent of another team: sees only chats on accounts they own, or assigned to them.
    const heir = await invite(ws, owner, 'heir', 'agent', [teams[1] as string]);
    for (let i = 0; i < 5; i++) {
      const raw = JSON.stringify({
        messageId: `m${i}`,
        chatId: `4915100000${i}@c.us`,
        contact: { name: `Customer ${i}`, phone: `+4915100000${i}` },
        text: `hello ${i}`,
        sentAt: new Date(Date.UTC(2026, 10, 22, 9, i)).toISOString(),
      });
      const res = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
        raw,
        headers: signedHeaders(channel.secret, raw),
      });
      expect(res.status).toBe(202);
    }
    await t.db
      .updateTable('chat_assignments')
      .set({ user_id: leaver.id })
      .where('workspace_id', '=', ws)
      .execute();
    const before = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: heir.token });
    expect(before.body.items).toHaveLength(0);

    const res = await call('POST', `/v1/workspaces/${ws}/members/${leaver.id}/revoke`, {
      token: owner,
      body: { reassignTo: heir.id },
    });
    expect(res.status).toBe(202);
    await expect
      .poll(
        async () => (await call('GET', `/v1/jobs/${res.body.job.id}`, { token: owner })).body.state,
        { timeout: 20_000, interval: 100 },
      )
      .toBe('completed');
    const job = await call('GET', `/v1/jobs/${res.body.job.id}`, { token: owner });
    expect(job.body.result).toMatchObject({ moved: 5, toHeir: 5, unassigned: 0 });
    const after = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: heir.token });
    expect(after.body.items).toHaveLength(5);
    const assignees = await t.db
      .selectFrom('chat_assignments')
      .select('user_id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(assignees.map((a) => a.user_id)).toEqual(Array(5).fill(heir.id));
  });

  it('§2 bulk reassignment of a suspended member: every chat to a member who can be assigned; others refused with 422', async () => {
    const { ws, owner, channel } = await workspace();
    const away = await invite(ws, owner, 'away', 'teammate');
    const heir = await invite(ws, owner, 'heir', 'collaborator');
    for (let i = 0; i < 3; i++) {
      const raw = JSON.stringify({
        messageId: `r${i}`,
        chatId: `4915200000${i}@c.us`,
        contact: { name: `Customer ${i}`, phone: `+4915200000${i}` },
        text: `hello ${i}`,
        sentAt: new Date(Date.UTC(2026, 10, 22, 9, i)).toISOString(),
      });
      const res = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
        raw,
        headers: signedHeaders(channel.secret, raw),
      });
      expect(res.status).toBe(202);
    }
    await t.db
      .updateTable('chat_assignments')
      .set({ user_id: away.id })
      .where('workspace_id', '=', ws)
      .execute();
    const reassign = (to?: string) =>
      call('POST', `/v1/workspaces/${ws}/members/${away.id}/reassign`, {
        token: owner,
        body: to ? { to } : {},
      });
    expect((await reassign(heir.id)).status).toBe(409); // still active
    expect(
      (await call('POST', `/v1/workspaces/${ws}/members/${away.id}/suspend`, { token: owner }))
        .status,
    ).toBe(200);
    const refused = await reassign(away.id);
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe('body.to');
    const res = await reassign(heir.id);
    expect(res.status).toBe(202);
    await expect
      .poll(
        async () => (await call('GET', `/v1/jobs/${res.body.job.id}`, { token: owner })).body.state,
        { timeout: 20_000, interval: 100 },
      )
      .toBe('completed');
    const after = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: heir.token });
    expect(after.body.items).toHaveLength(3);
  });

  describe('§2: the last active Owner survives two Owners acting on each other at once', () => {
    const attempts = 4;

    it.each([
      [
        'revoking each other',
        (ws: string, by: string, target: string) =>
          call('POST', `/v1/workspaces/${ws}/members/${target}/revoke`, { token: by, body: {} }),
      ],
      [
        'demoting each other',
        (ws: string, by: string, target: string) =>
          call('PATCH', `/v1/workspaces/${ws}/members/${target}`, {
            token: by,
            body: { role: 'admin' },
          }),
      ],
      [
        'suspending each other',
        (ws: string, by: string, target: string) =>
          call('POST', `/v1/workspaces/${ws}/members/${target}/suspend`, { token: by }),
      ],
    ])('%s: exactly one succeeds', async (_what, act) => {
      for (let i = 0; i < attempts; i++) {
        const { ws, owner, ownerId } = await workspace();
        const second = await invite(ws, owner, 'second', 'owner');
        const replies = await Promise.all([
          act(ws, owner, second.id),
          act(ws, second.token, ownerId),
        ]);
        const statuses = replies.map((r) => r.status);
        expect(
          statuses.filter((s) => s >= 200 && s < 300),
          String(statuses),
        ).toHaveLength(1);
        // The loser was refused (409: the last Owner; or already without access: 404/403).
        for (const s of statuses.filter((s) => s >= 300)) expect([403, 404, 409]).toContain(s);
        const owners = await t.db
          .selectFrom('memberships')
          .select('user_id')
          .where('workspace_id', '=', ws)
          .where('role', '=', 'owner')
          .where('status', '=', 'active')
          .execute();
        expect(owners).toHaveLength(1);
      }
    });
  });

  it('the member list says what the caller may do to each member, and each answer holds when acted on (PRODUCT.md §2)', async () => {
    const { ws, owner, ownerId } = await workspace();
    const admin = await invite(ws, owner, 'admin', 'admin');
    const agent = await invite(ws, owner, 'agent', 'agent');
    const gone = await invite(ws, owner, 'gone', 'agent');
    expect(
      (await call('POST', `/v1/workspaces/${ws}/members/${gone.id}/suspend`, { token: owner }))
        .status,
    ).toBe(200);
    type Listed = { user: { id: string | null }; status: string; may?: Record<string, boolean> };
    const list = async (token: string) => {
      const res = await call('GET', `/v1/workspaces/${ws}/members`, { token });
      expect(res.status, res.text).toBe(200);
      const mayOf = (id: string) => (res.body.items as Listed[]).find((m) => m.user.id === id)?.may;
      return { mayOf, roles: (res.body.grantableRoles as Array<{ id: string }>).map((r) => r.id) };
    };
    const none = {
      changeRole: false,
      restrict: false,
      suspend: false,
      reinstate: false,
      revoke: false,
    };

    const asOwner = await list(owner);
    // The only active Owner: nobody, not even they, may act on themselves.
    expect(asOwner.mayOf(ownerId)).toEqual(none);
    expect(asOwner.mayOf(admin.id)).toEqual({
      ...none,
      changeRole: true,
      restrict: true,
      suspend: true,
      revoke: true,
    });
    expect(asOwner.mayOf(gone.id)).toEqual({
      ...none,
      changeRole: true,
      restrict: true,
      reinstate: true,
      revoke: true,
    });
    expect(asOwner.roles).toEqual(['owner', 'admin', 'teammate', 'agent', 'collaborator']);

    const asAdmin = await list(admin.token);
    // An Admin may not act on an Owner, nor on themselves.
    expect(asAdmin.mayOf(ownerId)).toEqual(none);
    expect(asAdmin.mayOf(admin.id)).toEqual(none);
    expect(asAdmin.mayOf(agent.id)).toEqual({
      ...none,
      changeRole: true,
      restrict: true,
      suspend: true,
      revoke: true,
    });
    expect(asAdmin.roles).not.toContain('owner');
    expect(asAdmin.roles).toContain('agent');

    // An Agent manages nobody: every answer is no, and no role is theirs to give.
    const asAgent = await list(agent.token);
    expect(asAgent.mayOf(gone.id)).toEqual(none);
    expect(asAgent.roles).toEqual([]);

    // The answers hold when acted on: what was "no" is refused, what was "yes" is done.
    const suspendOwner = await call('POST', `/v1/workspaces/${ws}/members/${ownerId}/suspend`, {
      token: admin.token,
    });
    expect(suspendOwner.status).toBe(403);
    const makeOwner = await call('PATCH', `/v1/workspaces/${ws}/members/${agent.id}`, {
      token: admin.token,
      body: { role: 'owner' },
    });
    expect(makeOwner.status).toBe(403);
    const suspendAgent = await call('POST', `/v1/workspaces/${ws}/members/${agent.id}/suspend`, {
      token: admin.token,
    });
    expect(suspendAgent.status).toBe(200);
    // The answer to an action says what may be done next: a suspended member may be reinstated.
    expect(suspendAgent.body.member.may).toMatchObject({ suspend: false, reinstate: true });

    // A second Owner: now each Owner may act on the other.
    const second = await invite(ws, owner, 'second', 'owner');
    expect((await list(owner)).mayOf(second.id)).toMatchObject({ suspend: true, changeRole: true });
    expect((await list(second.token)).mayOf(ownerId)).toMatchObject({
      suspend: true,
      revoke: true,
    });
  });

  it('the channel list says who the caller may connect an account for, and connecting agrees (channel.connect)', async () => {
    const { ws, owner, ownerId } = await workspace();
    const team = await call('POST', `/v1/workspaces/${ws}/teams`, {
      token: owner,
      body: { name: 'Sales' },
    });
    expect(team.status).toBe(201);
    const teamId = team.body.team.id as string;
    const agent = await invite(ws, owner, 'agent', 'agent', [teamId]);
    const mate = await invite(ws, owner, 'mate', 'teammate', [teamId]);
    const outsider = await invite(ws, owner, 'outsider', 'agent');
    const owners = async (token: string) => {
      const res = await call('GET', `/v1/workspaces/${ws}/channels`, { token });
      expect(res.status, res.text).toBe(200);
      return res.body.connectOwners as Array<{ type: string; id?: string }>;
    };

    // An Agent (channel.connect own) connects accounts of their own only.
    expect(await owners(agent.token)).toEqual([{ type: 'user', id: agent.id }]);
    // The Owner (all): themselves, every active colleague, every team, HQ.
    const ownerChoices = await owners(owner);
    expect(ownerChoices).toEqual(
      expect.arrayContaining([
        { type: 'user', id: ownerId },
        { type: 'user', id: mate.id },
        { type: 'user', id: outsider.id },
        { type: 'team', id: teamId },
        { type: 'workspace' },
      ]),
    );

    // A custom role with channel.connect "team": themselves, their team and its members only.
    const role = await call('POST', `/v1/workspaces/${ws}/roles`, {
      token: owner,
      body: {
        name: 'Team channels',
        permissions: { 'chat.view': 'team', 'channel.view': 'team', 'channel.connect': 'team' },
      },
    });
    expect(role.status).toBe(201);
    const bound = await call('POST', `/v1/workspaces/${ws}/role-bindings`, {
      token: owner,
      body: { roleId: role.body.role.id, subject: { type: 'user', id: mate.id } },
    });
    expect(bound.status, bound.text).toBe(201);
    const mateChoices = await owners(mate.token);
    expect(mateChoices).toEqual(
      expect.arrayContaining([
        { type: 'user', id: mate.id },
        { type: 'user', id: agent.id },
        { type: 'team', id: teamId },
      ]),
    );
    expect(mateChoices).toHaveLength(3);

    // Connecting agrees with the list: a listed owner is accepted, an unlisted one refused.
    const connect = (token: string, owner: { type: string; id?: string }, name: string) =>
      call('POST', `/v1/workspaces/${ws}/channels`, {
        token,
        body: { type: 'webhook', name, owner },
      });
    expect((await connect(mate.token, { type: 'user', id: agent.id }, 'For Aggie')).status).toBe(
      201,
    );
    expect((await connect(mate.token, { type: 'team', id: teamId }, 'For Sales')).status).toBe(201);
    expect((await connect(mate.token, { type: 'user', id: outsider.id }, 'Outside')).status).toBe(
      403,
    );
    expect((await connect(mate.token, { type: 'workspace' }, 'HQ')).status).toBe(403);
    expect((await connect(agent.token, { type: 'team', id: teamId }, 'Agent team')).status).toBe(
      403,
    );
  });
});
