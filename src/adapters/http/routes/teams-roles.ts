import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { builtInRoles } from '../../../core/access/index.js';
import { bindRole } from '../../../core/teams/bind-role.js';
import { changeTeamMembership } from '../../../core/teams/change-team-membership.js';
import { changeTeamStatus } from '../../../core/teams/change-team-status.js';
import { createRole } from '../../../core/teams/create-role.js';
import { createTeam } from '../../../core/teams/create-team.js';
import type { TeamRecord } from '../../../core/teams/teams-store.js';
import { teamsStore } from '../../db/teams-store.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, personName, wsParams } from '../schemas.js';

const team = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  status: z.enum(['active', 'suspended', 'deleted']),
});
const role = z.object({
  id: z.string(),
  name: z.string(),
  builtIn: z.boolean(),
  permissions: z.record(z.string(), z.string()),
});

const presentTeam = (t: TeamRecord) => ({
  id: t.id,
  name: t.name,
  parentId: t.parentId,
  status: t.status,
});

/** Teams (nested), team membership, custom roles and role bindings (shared/API.md). */
export function teamAndRoleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** What the team and role use cases need, built once from the server's deps. */
  const teams = { store: teamsStore(deps.db), access: deps.access, events: deps.events };

  r.post(
    '/v1/workspaces/:ws/teams',
    {
      schema: {
        summary: 'Create a team, optionally under a parent team',
        params: wsParams,
        body: z.object({ name: personName, parentId: id.nullish() }),
        response: { 201: z.object({ team }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const created = await createTeam(teams, {
        actor: principal,
        workspaceId: ws,
        name: request.body.name,
        parentId: request.body.parentId ?? null,
      });
      return reply.status(201).send({ team: presentTeam(created) });
    },
  );

  r.get(
    '/v1/workspaces/:ws/teams',
    {
      schema: {
        summary: 'Teams of the workspace',
        params: wsParams,
        response: { 200: z.object({ items: z.array(team) }) },
      },
    },
    async (request) => {
      const { facts } = await requireMember(deps, request, request.params.ws);
      return {
        items: facts.teams.filter((t) => t.status !== 'deleted').map(presentTeam),
      };
    },
  );

  const teamMemberParams = z.object({ ws: id, teamId: id, userId: id });
  for (const method of ['PUT', 'DELETE'] as const) {
    r.route({
      method,
      url: '/v1/workspaces/:ws/teams/:teamId/members/:userId',
      schema: {
        summary: method === 'PUT' ? 'Add a member to a team' : 'Remove a member from a team',
        params: teamMemberParams,
      },
      handler: async (request, reply) => {
        const { ws, teamId, userId } = request.params;
        const { principal } = await requireMember(deps, request, ws);
        await changeTeamMembership(teams, {
          actor: principal,
          workspaceId: ws,
          teamId,
          userId,
          action: method === 'PUT' ? 'add' : 'remove',
        });
        return reply.status(204).send();
      },
    });
  }

  // Suspending or deleting a team hands everything it owned back to HQ (PRODUCT.md §2); the
  // team stops giving access at once, a background job moves its accounts, chats and queue.
  const teamParams = z.object({ ws: id, teamId: id });
  for (const action of ['suspend', 'delete'] as const) {
    r.route({
      method: action === 'suspend' ? 'POST' : 'DELETE',
      url:
        action === 'suspend'
          ? '/v1/workspaces/:ws/teams/:teamId/suspend'
          : '/v1/workspaces/:ws/teams/:teamId',
      schema: {
        summary:
          action === 'suspend'
            ? 'Suspend a team: what it owned passes to HQ'
            : 'Delete a team: what it owned passes to HQ',
        params: teamParams,
        response: { 202: z.object({ job: z.object({ id: z.string() }) }) },
      },
      handler: async (request, reply) => {
        const { ws, teamId } = request.params;
        const { principal } = await requireMember(deps, request, ws);
        const { jobId } = await changeTeamStatus(teams, {
          actor: principal,
          workspaceId: ws,
          teamId,
          action,
        });
        return reply.status(202).send({ job: { id: jobId } });
      },
    });
  }

  r.get(
    '/v1/workspaces/:ws/roles',
    {
      schema: {
        summary: 'Built-in and custom roles',
        params: wsParams,
        response: { 200: z.object({ items: z.array(role) }) },
      },
    },
    async (request) => {
      const { facts } = await requireMember(deps, request, request.params.ws);
      return {
        items: [
          ...Object.values(builtInRoles).map((b) => ({
            id: b.key,
            name: b.name,
            builtIn: true,
            permissions: { ...b.permissions },
          })),
          ...facts.customRoles.map((c) => ({
            id: c.id,
            name: c.name,
            builtIn: false,
            permissions: { ...c.permissions },
          })),
        ],
      };
    },
  );

  r.post(
    '/v1/workspaces/:ws/roles',
    {
      schema: {
        summary: 'Define a custom role: a level per permission',
        params: wsParams,
        body: z.object({ name: personName, permissions: z.record(z.string(), z.string()) }),
        response: { 201: z.object({ role }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const created = await createRole(teams, {
        actor: principal,
        workspaceId: ws,
        name: request.body.name,
        permissions: request.body.permissions,
      });
      return reply.status(201).send({
        role: {
          id: created.id,
          name: created.name,
          builtIn: false,
          permissions: { ...created.permissions },
        },
      });
    },
  );

  r.post(
    '/v1/workspaces/:ws/role-bindings',
    {
      schema: {
        summary: 'Bind a custom role to a user or a whole team (the broadest role wins)',
        params: wsParams,
        body: z.object({ roleId: id, subject: z.object({ type: z.enum(['user', 'team']), id }) }),
        response: {
          201: z.object({
            binding: z.object({
              id: z.string(),
              roleId: z.string(),
              subject: z.object({ type: z.enum(['user', 'team']), id: z.string() }),
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const binding = await bindRole(teams, {
        actor: principal,
        workspaceId: ws,
        roleId: request.body.roleId,
        subject: request.body.subject,
      });
      return reply.status(201).send({ binding });
    },
  );
}
