import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import {
  buildPrincipal,
  builtInRoles,
  checkPermission,
  validateRolePermissions,
  type Permission,
  type Principal,
} from '../../../core/access/index.js';
import { writeAudit } from '../../db/audit.js';
import { recordJob } from '../../db/jobs.js';
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

function require(
  p: Principal,
  permission: Exclude<Permission, `chat.${string}` | `channel.${string}`>,
) {
  const decision = checkPermission(p, permission);
  if (!decision.allowed)
    throw new AppError('forbidden', `this needs ${permission}: ${decision.reasons.join('; ')}`);
}

/** Teams (nested), team membership, custom roles and role bindings (shared/API.md). */
export function teamAndRoleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

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
      const { principal, facts } = await requireMember(deps, request, ws);
      require(principal, 'teams.manage');
      const parentId = request.body.parentId ?? null;
      if (parentId && !facts.teams.some((t) => t.id === parentId && t.status === 'active')) {
        throw new AppError('invalid_input', 'no such parent team', {
          details: [{ path: 'body.parentId', message: 'not an active team of this workspace' }],
        });
      }
      const created = await deps.db.transaction().execute(async (trx) => {
        const t = await trx
          .insertInto('teams')
          .values({
            id: newId('team'),
            workspace_id: ws,
            name: request.body.name,
            parent_id: parentId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        // Keep the closure table: the team itself, and every ancestor of its parent.
        await sql`
          insert into team_tree (workspace_id, ancestor_id, descendant_id, depth)
          select ${ws}, ${t.id}, ${t.id}, 0
          union all
          select workspace_id, ancestor_id, ${t.id}, depth + 1 from team_tree where descendant_id = ${parentId}
        `.execute(trx);
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'team.create',
          targetType: 'team',
          targetId: t.id,
          after: { name: t.name, parentId },
        });
        return t;
      });
      return reply.status(201).send({
        team: {
          id: created.id,
          name: created.name,
          parentId: created.parent_id,
          status: created.status,
        },
      });
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
        items: facts.teams
          .filter((t) => t.status !== 'deleted')
          .map((t) => ({ id: t.id, name: t.name, parentId: t.parentId, status: t.status })),
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
        const { principal, facts } = await requireMember(deps, request, ws);
        require(principal, 'teams.manage');
        if (!facts.teams.some((t) => t.id === teamId && t.status !== 'deleted'))
          throw new AppError('not_found', 'no such team');
        const target = facts.members.find((m) => m.userId === userId);
        if (!target || target.status === 'revoked')
          throw new AppError('not_found', 'no such member');
        await deps.db.transaction().execute(async (trx) => {
          if (method === 'PUT') {
            await trx
              .insertInto('team_members')
              .values({ workspace_id: ws, team_id: teamId, user_id: userId })
              .onConflict((oc) => oc.doNothing())
              .execute();
          } else {
            await trx
              .deleteFrom('team_members')
              .where('team_id', '=', teamId)
              .where('user_id', '=', userId)
              .execute();
          }
          await writeAudit(trx, {
            workspaceId: ws,
            actorUserId: principal.userId,
            action: method === 'PUT' ? 'team.member_add' : 'team.member_remove',
            targetType: 'team',
            targetId: teamId,
            after: { userId },
          });
        });
        await deps.events.publish({ type: 'access.changed', workspaceId: ws });
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
        const { principal, facts } = await requireMember(deps, request, ws);
        require(principal, 'teams.manage');
        const target = facts.teams.find((t) => t.id === teamId && t.status !== 'deleted');
        if (!target) throw new AppError('not_found', 'no such team');
        if (action === 'suspend' && target.status === 'suspended')
          throw new AppError('conflict', 'the team is already suspended');
        const status = action === 'suspend' ? ('suspended' as const) : ('deleted' as const);
        const jobId = await deps.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('teams')
            .set({ status, updated_at: sql`now()` })
            .where('id', '=', teamId)
            .execute();
          const jobId = await recordJob(trx, {
            workspaceId: ws,
            type: `team.${action}`,
            input: { teamId },
            createdBy: principal.userId,
          });
          await writeAudit(trx, {
            workspaceId: ws,
            actorUserId: principal.userId,
            action: `team.${action}`,
            targetType: 'team',
            targetId: teamId,
            before: { status: target.status },
            after: { status, jobId },
          });
          return jobId;
        });
        await deps.events.publish({ type: 'access.changed', workspaceId: ws });
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
      const { principal, facts } = await requireMember(deps, request, ws);
      require(principal, 'permissions.edit');
      const permissions = validateRolePermissions(request.body.permissions);
      if (facts.customRoles.some((c) => c.name.toLowerCase() === request.body.name.toLowerCase())) {
        throw new AppError('conflict', `a role named ${request.body.name} exists`);
      }
      const created = await deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('roles')
          .values({
            id: newId('role'),
            workspace_id: ws,
            name: request.body.name,
            permissions: JSON.stringify(permissions),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'role.create',
          targetType: 'role',
          targetId: row.id,
          after: { name: row.name, permissions },
        });
        return row;
      });
      return reply
        .status(201)
        .send({ role: { id: created.id, name: created.name, builtIn: false, permissions } });
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
      const { principal, facts } = await requireMember(deps, request, ws);
      require(principal, 'permissions.edit');
      const { roleId, subject } = request.body;
      if (!facts.customRoles.some((c) => c.id === roleId)) {
        throw new AppError('invalid_input', 'no such custom role', {
          details: [
            {
              path: 'body.roleId',
              message: 'built-in roles are given as a member’s role; bind custom roles',
            },
          ],
        });
      }
      const exists =
        subject.type === 'user'
          ? facts.members.some((m) => m.userId === subject.id && m.status !== 'revoked')
          : facts.teams.some((t) => t.id === subject.id && t.status !== 'deleted');
      if (!exists)
        throw new AppError('invalid_input', `no such ${subject.type}`, {
          details: [
            { path: 'body.subject.id', message: `not a ${subject.type} of this workspace` },
          ],
        });
      // Nobody changes their own access (PRODUCT.md §2): refuse a binding that would reach the caller.
      const after = buildPrincipal(
        { ...facts, bindings: [...facts.bindings, { id: 'new', roleId, subject }] },
        principal.userId,
      );
      if (after && JSON.stringify(after.levels) !== JSON.stringify(principal.levels)) {
        throw new AppError(
          'forbidden',
          'this binding would change your own access: another admin must make it',
        );
      }
      const binding = await deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('role_bindings')
          .values({
            id: newId('bind'),
            workspace_id: ws,
            role_id: roleId,
            subject_type: subject.type,
            subject_id: subject.id,
            created_by: principal.userId,
          })
          .onConflict((oc) =>
            oc.columns(['workspace_id', 'role_id', 'subject_type', 'subject_id']).doNothing(),
          )
          .returningAll()
          .executeTakeFirst();
        if (!row) throw new AppError('conflict', 'that binding exists');
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'role.bind',
          targetType: 'role_binding',
          targetId: row.id,
          after: { roleId, subject },
        });
        return row;
      });
      await deps.events.publish({ type: 'access.changed', workspaceId: ws });
      return reply.status(201).send({
        binding: {
          id: binding.id,
          roleId: binding.role_id,
          subject: { type: binding.subject_type, id: binding.subject_id },
        },
      });
    },
  );
}
