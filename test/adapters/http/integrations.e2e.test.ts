import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/** Integrations (shared/API.md "Integrations"): a Slack team linked to one workspace. */
describe('integrations', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('links a Slack team to one workspace only; lists and unlinks; needs integrations.manage', async () => {
    const a = await createWorkspaceWithChannel(api, 'Int A');
    const b = await createWorkspaceWithChannel(api, 'Int B');
    const path = (ws: string) => `/v1/workspaces/${ws}/integrations`;

    const created = await call('POST', path(a.ws), {
      token: a.owner,
      body: { type: 'slack', teamId: 'T0ACME' },
    });
    expect(created.status).toBe(201);
    expect(created.body.integration).toMatchObject({ type: 'slack', teamId: 'T0ACME' });
    const id = created.body.integration.id as string;

    // One workspace per Slack team: a second link, here or in another workspace, is a conflict.
    for (const other of [a, b]) {
      const again = await call('POST', path(other.ws), {
        token: other.owner,
        body: { type: 'slack', teamId: 'T0ACME' },
      });
      expect(again.status).toBe(409);
    }
    // Two admins linking one team at the same moment: exactly one wins.
    const raced = await Promise.all(
      [a, b].map((w) =>
        call('POST', path(w.ws), { token: w.owner, body: { type: 'slack', teamId: 'T0RACE' } }),
      ),
    );
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);

    expect(
      (await call('POST', path(a.ws), { token: a.owner, body: { type: 'slack', teamId: 'acme' } }))
        .status,
    ).toBe(422);
    expect(
      (await call('POST', path(a.ws), { token: a.owner, body: { type: 'fax', teamId: 'T1' } }))
        .status,
    ).toBe(422);

    const list = await call('GET', path(a.ws), { token: a.owner });
    expect(list.body.items.map((i: { teamId: string }) => i.teamId)).toContain('T0ACME');
    expect(JSON.stringify(list.body)).not.toMatch(/secret/i);

    // An Agent may not manage integrations.
    const invitation = await call('POST', `/v1/workspaces/${a.ws}/invitations`, {
      token: a.owner,
      body: { email: 'agent@int.test', name: 'Agent', role: 'agent' },
    });
    const agent = await call('POST', '/v1/invitations/accept', {
      body: { token: invitation.body.invitation.token },
    });
    const refused = await call('POST', path(a.ws), {
      token: agent.body.token,
      body: { type: 'slack', teamId: 'T0AGENT' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('integrations.manage');
    expect((await call('GET', path(a.ws), { token: agent.body.token })).status).toBe(403);

    // Another workspace's integration is not found there; unlinking frees the team.
    expect((await call('DELETE', `${path(b.ws)}/${id}`, { token: b.owner })).status).toBe(404);
    expect((await call('DELETE', `${path(a.ws)}/${id}`, { token: a.owner })).status).toBe(204);
    expect(
      (
        await call('POST', path(b.ws), {
          token: b.owner,
          body: { type: 'slack', teamId: 'T0ACME' },
        })
      ).status,
    ).toBe(201);

    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'via'])
      .where('workspace_id', '=', a.ws)
      .where('target_type', '=', 'integration')
      .execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: 'integration.create', via: 'api' },
        { action: 'integration.delete', via: 'api' },
      ]),
    );
  });
});
