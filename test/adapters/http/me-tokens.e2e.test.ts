import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * A user's own account and tokens (issue 22 §3): `GET /v1/me`, tokens listed without their
 * secret, created with it once, revoked with effect on the next request on every node; an
 * Owner or Admin revoking all of a member's tokens.
 */
describe('a user’s own account and tokens', () => {
  let t: TestDatabase;
  let nodeA: RunningApi;
  let nodeB: RunningApi;
  let a: ReturnType<typeof client>;
  let b: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await createTestDatabase();
    // Two API processes on one database: what one revokes, the other refuses at once.
    nodeA = await startApi(t);
    nodeB = await startApi(t);
    a = client(nodeA.base);
    b = client(nodeB.base);
  });
  afterAll(async () => {
    await nodeB.close();
    await nodeA.close();
    await t.drop();
  });

  it('GET /v1/me names the user and their workspaces with role and status', async () => {
    const { ws, owner } = await createWorkspaceWithChannel(nodeA, 'Me Co');
    const ann = await addMember(nodeA, ws, owner, {
      email: 'ann@me-co.test',
      name: 'Ann',
      role: 'agent',
    });
    const me = await a('GET', '/v1/me', { token: ann.token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: ann.id, email: 'ann@me-co.test', name: 'Ann' });
    expect(me.body.workspaces).toEqual([
      expect.objectContaining({ id: ws, role: 'agent', status: 'active' }),
    ]);
    // What the policy lets them do there, derived by the core (the page shows only that).
    expect(me.body.workspaces[0].permissions).toMatchObject({ 'users.manage': 'none' });
    const owners = await a('GET', '/v1/me', { token: owner });
    expect(owners.body.workspaces[0].permissions).toMatchObject({ 'users.manage': 'all' });
    await a('POST', `/v1/workspaces/${ws}/members/${ann.id}/suspend`, { token: owner });
    const suspended = await a('GET', '/v1/me', { token: ann.token });
    expect(suspended.body.workspaces[0].status).toBe('suspended');
    expect((await a('GET', '/v1/me')).status).toBe(401);
  });

  it('creates a token (secret once), lists tokens without secrets, and a revoked one is refused on every node', async () => {
    const { ws, owner } = await createWorkspaceWithChannel(nodeA, 'Tok Co');
    const created = await a('POST', '/v1/me/tokens', { token: owner, body: { name: 'laptop' } });
    expect(created.status).toBe(201);
    const secret = created.body.token.secret as string;
    expect(secret).toMatch(/^sbu_/);
    expect(created.body.token).toMatchObject({ name: 'laptop', lastUsedAt: null });

    // The new token works on both nodes, and its use is recorded.
    expect((await b('GET', `/v1/workspaces/${ws}/chats`, { token: secret })).status).toBe(200);
    const listed = await a('GET', '/v1/me/tokens', { token: secret });
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(secret);
    const laptop = listed.body.items.find((x: { name: string }) => x.name === 'laptop');
    expect(laptop.lastUsedAt).not.toBeNull();
    expect(listed.body.items).toHaveLength(2);
    expect((await a('POST', '/v1/me/tokens', { token: owner, body: { name: '' } })).status).toBe(
      422,
    );

    // Revoked on node A: node B refuses it on the very next request.
    expect((await a('DELETE', `/v1/me/tokens/${laptop.id}`, { token: owner })).status).toBe(204);
    expect((await b('GET', `/v1/workspaces/${ws}/chats`, { token: secret })).status).toBe(401);
    expect((await b('GET', '/v1/me', { token: secret })).status).toBe(401);
    // Once only, and only one's own.
    expect((await a('DELETE', `/v1/me/tokens/${laptop.id}`, { token: owner })).status).toBe(404);
    const other = await createWorkspaceWithChannel(nodeA, 'Other Tok Co');
    const theirs = (await a('GET', '/v1/me/tokens', { token: other.owner })).body.items[0].id;
    expect((await a('DELETE', `/v1/me/tokens/${theirs}`, { token: owner })).status).toBe(404);
    expect((await a('GET', '/v1/me', { token: other.owner })).status).toBe(200);
  });

  it('an Admin revokes all of a member’s tokens; not an Owner’s, not as a Teammate, not across organizations', async () => {
    const { ws, owner } = await createWorkspaceWithChannel(nodeA, 'Rev Co');
    const admin = await addMember(nodeA, ws, owner, {
      email: 'admin@rev-co.test',
      name: 'Admin',
      role: 'admin',
    });
    const teammate = await addMember(nodeA, ws, owner, {
      email: 'tm@rev-co.test',
      name: 'Tm',
      role: 'teammate',
    });
    const agent = await addMember(nodeA, ws, owner, {
      email: 'agent@rev-co.test',
      name: 'Agent',
      role: 'agent',
    });
    const second = await a('POST', '/v1/me/tokens', { token: agent.token, body: {} });
    const path = (userId: string) => `/v1/workspaces/${ws}/members/${userId}/tokens`;

    expect((await a('DELETE', path(agent.id), { token: teammate.token })).status).toBe(403);
    const ownerId = (await a('GET', '/v1/me', { token: owner })).body.user.id;
    expect((await a('DELETE', path(ownerId), { token: admin.token })).status).toBe(403);

    const revoked = await a('DELETE', path(agent.id), { token: admin.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ revoked: 2 });
    for (const token of [agent.token, second.body.token.secret as string]) {
      expect((await b('GET', '/v1/me', { token })).status).toBe(401);
    }
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id', 'target_id'])
      .where('workspace_id', '=', ws)
      .where('action', '=', 'member.tokens_revoke')
      .execute();
    expect(audit).toEqual([
      { action: 'member.tokens_revoke', actor_user_id: admin.id, target_id: agent.id },
    ]);

    // Someone who is also a member of another organization's workspace: their tokens open
    // that one too, so this workspace's admins may not revoke them.
    const elsewhere = await createWorkspaceWithChannel(nodeA, 'Else Co');
    const both = await addMember(nodeA, ws, owner, {
      email: 'both@rev-co.test',
      name: 'Both',
      role: 'agent',
    });
    await addMember(nodeA, elsewhere.ws, elsewhere.owner, {
      email: 'both@rev-co.test',
      name: 'Both',
      role: 'agent',
    });
    const across = await a('DELETE', path(both.id), { token: owner });
    expect(across.status).toBe(409);
    expect((await a('GET', '/v1/me', { token: both.token })).status).toBe(200);
  });
});
