import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { hashToken, newToken } from '../../../core/tokens.js';
import {
  checkPermission,
  isBuiltInRole,
  parseStoredRestrictions,
  restrictionsSchema,
  type Principal,
} from '../../../core/access/index.js';
import { assertMayActOnMember, assertMayGrantRole } from '../../../core/people/member-rules.js';
import { toCsv } from '../../../core/people/members-csv.js';
import type { Database } from '../../db/database.js';
import { writeAudit } from '../../db/audit.js';
import { findOrCreateUser, issueToken, joinOrganization } from '../../db/users.js';
import { recordJob } from '../../db/jobs.js';
import { requireMember, type HttpDeps } from '../context.js';
import { email, id, iso, personName, user, wsParams } from '../schemas.js';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const ONLINE_WINDOW_MS = 5 * 60 * 1000;

const member = z.object({
  user: z.object({ id: z.string().nullable(), email: z.string(), name: z.string() }),
  role: z.string(),
  status: z.enum(['pending', 'active', 'suspended', 'revoked']),
  teamIds: z.array(z.string()),
  restrictions: z.record(z.string(), z.unknown()),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  invitationId: z.string().optional(),
});
type Member = z.infer<typeof member>;

async function assertRoleExists(db: Database, workspaceId: string, role: string) {
  if (isBuiltInRole(role)) return;
  const found = await db
    .selectFrom('roles')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', role)
    .executeTakeFirst();
  if (!found) {
    throw new AppError('invalid_input', 'unknown role', {
      details: [
        { path: 'body.role', message: 'not a built-in role or a custom role of this workspace' },
      ],
    });
  }
}

async function assertTeamsExist(db: Database, workspaceId: string, teamIds: readonly string[]) {
  if (teamIds.length === 0) return;
  const found = await db
    .selectFrom('teams')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', teamIds)
    .where('status', '=', 'active')
    .execute();
  const missing = teamIds.filter((t) => !found.some((f) => f.id === t));
  if (missing.length) {
    throw new AppError('invalid_input', 'unknown team', {
      details: missing.map((t) => ({ path: 'body.teamIds', message: `no active team ${t}` })),
    });
  }
}

/** Everyone of the workspace: members, and pending invitations shown as pending. */
async function listMembers(deps: HttpDeps, workspaceId: string): Promise<Member[]> {
  const now = deps.now().getTime();
  const [rows, teams, invitations] = await Promise.all([
    deps.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select([
        'u.id',
        'u.email',
        'u.name',
        'm.role',
        'm.status',
        'm.restrictions',
        'm.last_seen_at',
      ])
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('u.name')
      .orderBy('u.id')
      .execute(),
    deps.db
      .selectFrom('team_members')
      .select(['user_id', 'team_id'])
      .where('workspace_id', '=', workspaceId)
      .execute(),
    deps.db
      .selectFrom('invitations')
      .select(['id', 'email', 'name', 'role', 'team_ids', 'restrictions'])
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', deps.now())
      .orderBy('created_at')
      .execute(),
  ]);
  return [
    ...rows.map((m) => ({
      user: { id: m.id, email: m.email, name: m.name },
      role: m.role,
      status: m.status,
      teamIds: teams.filter((t) => t.user_id === m.id).map((t) => t.team_id),
      restrictions: parseStoredRestrictions(m.restrictions),
      // Online: an event stream open on this server, or activity in the last five minutes.
      online:
        m.status === 'active' &&
        (deps.live.isOnline(workspaceId, m.id) ||
          (m.last_seen_at !== null && now - m.last_seen_at.getTime() < ONLINE_WINDOW_MS)),
      lastSeenAt: m.last_seen_at ? iso(m.last_seen_at) : null,
    })),
    ...invitations.map((i) => ({
      user: { id: null, email: i.email, name: i.name },
      role: i.role,
      status: 'pending' as const,
      teamIds: i.team_ids,
      restrictions: parseStoredRestrictions(i.restrictions),
      online: false,
      lastSeenAt: null,
      invitationId: i.id,
    })),
  ];
}

export function peopleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/workspaces/:ws/invitations',
    {
      schema: {
        summary: 'Invite someone (pending until accepted)',
        params: wsParams,
        body: z.object({
          email,
          name: personName,
          role: id,
          teamIds: z.array(id).max(100).default([]),
          restrictions: restrictionsSchema.default({}),
        }),
        response: {
          201: z.object({
            invitation: z.object({
              id: z.string(),
              email: z.string(),
              role: z.string(),
              status: z.literal('pending'),
              token: z.string(),
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const body = request.body;
      assertMayGrantRole(principal, body.role);
      await assertRoleExists(deps.db, ws, body.role);
      await assertTeamsExist(deps.db, ws, body.teamIds);
      const existing = await deps.db
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select('m.status')
        .where('m.workspace_id', '=', ws)
        .where('u.email', '=', body.email)
        .executeTakeFirst();
      if (existing && existing.status !== 'revoked') {
        throw new AppError('conflict', `${body.email} is already a member (${existing.status})`);
      }
      const { token, hash } = newToken('invitation');
      const invitation = await deps.db.transaction().execute(async (trx) => {
        // A newer invitation replaces a pending one to the same address.
        await trx
          .updateTable('invitations')
          .set({ status: 'cancelled' })
          .where('workspace_id', '=', ws)
          .where('email', '=', body.email)
          .where('status', '=', 'pending')
          .execute();
        const created = await trx
          .insertInto('invitations')
          .values({
            id: newId('inv'),
            workspace_id: ws,
            email: body.email,
            name: body.name,
            role: body.role,
            team_ids: body.teamIds,
            restrictions: JSON.stringify(body.restrictions),
            token_hash: hash,
            invited_by: principal.userId,
            expires_at: new Date(deps.now().getTime() + INVITATION_TTL_MS),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'member.invite',
          targetType: 'invitation',
          targetId: created.id,
          after: {
            email: body.email,
            role: body.role,
            teamIds: body.teamIds,
            restrictions: body.restrictions,
          },
        });
        return created;
      });
      return reply.status(201).send({
        invitation: {
          id: invitation.id,
          email: invitation.email,
          role: invitation.role,
          status: 'pending' as const,
          token,
        },
      });
    },
  );

  r.post(
    '/v1/invitations/accept',
    {
      schema: {
        summary: 'Accept an invitation (no bearer: the invitation token is the credential)',
        security: [],
        body: z.object({ token: z.string().min(10).max(200) }),
        response: { 200: z.object({ user, workspaceId: z.string(), token: z.string() }) },
      },
    },
    async (request) => {
      const accepted = await deps.db.transaction().execute(async (trx) => {
        const invitation = await trx
          .selectFrom('invitations')
          .selectAll()
          .where('token_hash', '=', hashToken(request.body.token))
          .forUpdate()
          .executeTakeFirst();
        if (!invitation || invitation.status === 'cancelled')
          throw new AppError('not_found', 'no such invitation');
        if (invitation.status === 'accepted')
          throw new AppError('conflict', 'the invitation was already accepted');
        if (invitation.expires_at.getTime() <= deps.now().getTime())
          throw new AppError('conflict', 'the invitation has expired');
        const ws = await trx
          .selectFrom('workspaces')
          .select('organization_id')
          .where('id', '=', invitation.workspace_id)
          .executeTakeFirstOrThrow();
        const person = await findOrCreateUser(trx, invitation);
        await joinOrganization(trx, ws.organization_id, person.id);
        await trx
          .insertInto('memberships')
          .values({
            workspace_id: invitation.workspace_id,
            user_id: person.id,
            role: invitation.role,
            status: 'active',
            restrictions: JSON.stringify(invitation.restrictions),
          })
          .onConflict((oc) =>
            oc.columns(['workspace_id', 'user_id']).doUpdateSet({
              role: invitation.role,
              status: 'active',
              restrictions: JSON.stringify(invitation.restrictions),
              revoked_at: null,
              suspended_at: null,
              updated_at: sql`now()`,
            }),
          )
          .execute();
        const activeTeams = invitation.team_ids.length
          ? await trx
              .selectFrom('teams')
              .select('id')
              .where('workspace_id', '=', invitation.workspace_id)
              .where('id', 'in', invitation.team_ids)
              .where('status', '=', 'active')
              .execute()
          : [];
        if (activeTeams.length) {
          await trx
            .insertInto('team_members')
            .values(
              activeTeams.map((t) => ({
                workspace_id: invitation.workspace_id,
                team_id: t.id,
                user_id: person.id,
              })),
            )
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        await trx
          .updateTable('invitations')
          .set({ status: 'accepted', accepted_at: deps.now() })
          .where('id', '=', invitation.id)
          .execute();
        const token = await issueToken(trx, person.id, 'invitation');
        await writeAudit(trx, {
          workspaceId: invitation.workspace_id,
          actorUserId: person.id,
          action: 'member.join',
          targetType: 'member',
          targetId: person.id,
          after: { role: invitation.role, invitationId: invitation.id },
        });
        return {
          user: { id: person.id, email: person.email, name: person.name },
          workspaceId: invitation.workspace_id,
          token,
        };
      });
      await deps.events.publish({ type: 'access.changed', workspaceId: accepted.workspaceId });
      return accepted;
    },
  );

  r.get(
    '/v1/workspaces/:ws/members',
    {
      schema: {
        summary: 'Members and pending invitations',
        params: wsParams,
        response: { 200: z.object({ items: z.array(member) }) },
      },
    },
    async (request) => {
      await requireMember(deps, request, request.params.ws);
      return { items: await listMembers(deps, request.params.ws) };
    },
  );

  r.get(
    '/v1/workspaces/:ws/members.csv',
    {
      schema: {
        summary: 'The member list as CSV (name, email, role, status, teams, last seen)',
        params: wsParams,
      },
    },
    async (request, reply) => {
      const { principal, facts } = await requireMember(deps, request, request.params.ws);
      for (const permission of ['users.manage', 'data.export'] as const) {
        const decision = checkPermission(principal, permission);
        if (!decision.allowed)
          throw new AppError('forbidden', `exporting the member list needs ${permission}`);
      }
      const teamNames = new Map(facts.teams.map((t) => [t.id, t.name]));
      const members = await listMembers(deps, request.params.ws);
      const csv = toCsv(
        ['name', 'email', 'role', 'status', 'teams', 'last seen'],
        members.map((m) => [
          m.user.name,
          m.user.email,
          m.role,
          m.status,
          m.teamIds.map((t) => teamNames.get(t) ?? t).join('; '),
          m.lastSeenAt ?? '',
        ]),
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="members.csv"')
        .send(csv);
    },
  );

  const memberParams = z.object({ ws: id, userId: id });

  async function loadTarget(workspaceId: string, userId: string) {
    const target = await deps.db
      .selectFrom('memberships')
      .select(['user_id', 'role', 'status', 'restrictions', 'capacity'])
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!target) throw new AppError('not_found', 'no such member');
    const owners = await deps.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('role', '=', 'owner')
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    return { target, activeOwnerCount: Number(owners.n) };
  }

  async function memberReply(workspaceId: string, userId: string): Promise<Member> {
    const found = (await listMembers(deps, workspaceId)).find((m) => m.user.id === userId);
    if (!found) throw new AppError('not_found', 'no such member');
    return found;
  }

  r.patch(
    '/v1/workspaces/:ws/members/:userId',
    {
      schema: {
        summary:
          'Change a member’s role, restrictions or routing capacity (most open chats routed to them; null: no limit)',
        params: memberParams,
        body: z
          .object({
            role: id.optional(),
            restrictions: restrictionsSchema.optional(),
            capacity: z.number().int().min(0).max(100_000).nullable().optional(),
          })
          .refine(
            (b) => b.role !== undefined || b.restrictions !== undefined || b.capacity !== undefined,
            { message: 'send role, restrictions or capacity' },
          ),
        response: { 200: z.object({ member }) },
      },
    },
    async (request) => {
      const { ws, userId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const { target, activeOwnerCount } = await loadTarget(ws, userId);
      const body = request.body;
      if (body.role !== undefined) {
        await assertRoleExists(deps.db, ws, body.role);
        assertMayActOnMember(principal, {
          action: 'change_role',
          target: { userId, role: target.role, status: target.status },
          newRole: body.role,
          activeOwnerCount,
        });
      }
      if (body.restrictions !== undefined || body.capacity !== undefined) {
        assertMayActOnMember(principal, {
          action: 'restrict',
          target: { userId, role: target.role, status: target.status },
          activeOwnerCount,
        });
      }
      await deps.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('memberships')
          .set({
            ...(body.role !== undefined ? { role: body.role } : {}),
            ...(body.restrictions !== undefined
              ? { restrictions: JSON.stringify(body.restrictions) }
              : {}),
            ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
            updated_at: sql`now()`,
          })
          .where('workspace_id', '=', ws)
          .where('user_id', '=', userId)
          .execute();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'member.update',
          targetType: 'member',
          targetId: userId,
          before: {
            role: target.role,
            restrictions: parseStoredRestrictions(target.restrictions),
            capacity: target.capacity,
          },
          after: {
            role: body.role ?? target.role,
            restrictions: body.restrictions ?? parseStoredRestrictions(target.restrictions),
            capacity: body.capacity === undefined ? target.capacity : body.capacity,
          },
        });
      });
      await deps.events.publish({ type: 'access.changed', workspaceId: ws });
      return { member: await memberReply(ws, userId) };
    },
  );

  for (const action of ['suspend', 'reinstate'] as const) {
    r.post(
      `/v1/workspaces/:ws/members/:userId/${action}`,
      {
        schema: {
          summary:
            action === 'suspend'
              ? 'Suspend a member: no access at all, at once; data kept'
              : 'Reinstate a suspended member',
          params: memberParams,
          response: { 200: z.object({ member }) },
        },
      },
      async (request) => {
        const { ws, userId } = request.params;
        const { principal } = await requireMember(deps, request, ws);
        const { target, activeOwnerCount } = await loadTarget(ws, userId);
        assertMayActOnMember(principal, {
          action,
          target: { userId, role: target.role, status: target.status },
          activeOwnerCount,
        });
        const status = action === 'suspend' ? ('suspended' as const) : ('active' as const);
        await deps.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('memberships')
            .set({
              status,
              suspended_at: action === 'suspend' ? deps.now() : null,
              updated_at: sql`now()`,
            })
            .where('workspace_id', '=', ws)
            .where('user_id', '=', userId)
            .execute();
          await writeAudit(trx, {
            workspaceId: ws,
            actorUserId: principal.userId,
            action: `member.${action}`,
            targetType: 'member',
            targetId: userId,
            before: { status: target.status },
            after: { status },
          });
        });
        await deps.events.publish({ type: 'access.changed', workspaceId: ws });
        return { member: await memberReply(ws, userId) };
      },
    );
  }

  r.post(
    '/v1/workspaces/:ws/members/:userId/revoke',
    {
      schema: {
        summary: 'Revoke a member (final); their chats are reassigned by a background job',
        params: memberParams,
        body: z.object({ reassignTo: id.optional() }).default({}),
        response: { 202: z.object({ job: z.object({ id: z.string() }) }) },
      },
    },
    async (request, reply) => {
      const { ws, userId } = request.params;
      const { principal, facts } = await requireMember(deps, request, ws);
      const { target, activeOwnerCount } = await loadTarget(ws, userId);
      assertMayActOnMember(principal, {
        action: 'revoke',
        target: { userId, role: target.role, status: target.status },
        activeOwnerCount,
      });
      const reassignTo = request.body.reassignTo;
      if (reassignTo !== undefined) {
        const heir = facts.members.find((m) => m.userId === reassignTo);
        if (!heir || heir.status !== 'active' || reassignTo === userId) {
          throw new AppError('invalid_input', 'reassignTo must be another active member', {
            details: [
              { path: 'body.reassignTo', message: 'not an active member of this workspace' },
            ],
          });
        }
      }
      const jobId = await deps.db.transaction().execute(async (trx) => {
        // Access ends now; the job moves chats and accounts afterwards (the outbox row
        // is published to the queue after this commit).
        await trx
          .updateTable('memberships')
          .set({ status: 'revoked', revoked_at: deps.now(), updated_at: sql`now()` })
          .where('workspace_id', '=', ws)
          .where('user_id', '=', userId)
          .execute();
        const jobId = await recordJob(trx, {
          workspaceId: ws,
          type: 'member.revoke',
          input: { userId, reassignTo: reassignTo ?? null },
          createdBy: principal.userId,
        });
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'member.revoke',
          targetType: 'member',
          targetId: userId,
          before: { status: target.status, role: target.role },
          after: { status: 'revoked', reassignTo: reassignTo ?? null, jobId },
        });
        return jobId;
      });
      await deps.events.publish({ type: 'access.changed', workspaceId: ws });
      return reply.status(202).send({ job: { id: jobId } });
    },
  );

  r.post(
    '/v1/workspaces/:ws/members/:userId/reassign',
    {
      schema: {
        summary: 'Reassign a suspended member’s chats in bulk (to a member, or unassigned)',
        params: memberParams,
        body: z.object({ to: id.optional() }).default({}),
        response: { 202: z.object({ job: z.object({ id: z.string() }) }) },
      },
    },
    async (request, reply) => {
      const { ws, userId } = request.params;
      const { principal, facts } = await requireMember(deps, request, ws);
      if (!checkPermission(principal, 'users.manage').allowed)
        throw new AppError('forbidden', 'reassigning needs users.manage');
      const target = facts.members.find((m) => m.userId === userId);
      if (!target) throw new AppError('not_found', 'no such member');
      if (target.status !== 'suspended')
        throw new AppError(
          'conflict',
          `the member is ${target.status}; bulk reassignment is for suspended members`,
        );
      const to = request.body.to;
      if (
        to !== undefined &&
        !facts.members.some((m) => m.userId === to && m.status === 'active')
      ) {
        throw new AppError('invalid_input', 'to must be an active member', {
          details: [{ path: 'body.to', message: 'not an active member' }],
        });
      }
      const jobId = await deps.db.transaction().execute(async (trx) => {
        const created = await recordJob(trx, {
          workspaceId: ws,
          type: 'member.reassign',
          input: { fromUserId: userId, toUserId: to ?? null },
          createdBy: principal.userId,
        });
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'member.reassign_chats',
          targetType: 'member',
          targetId: userId,
          after: { to: to ?? null, jobId: created },
        });
        return created;
      });
      return reply.status(202).send({ job: { id: jobId } });
    },
  );

  r.get(
    '/v1/jobs/:jobId',
    {
      schema: {
        summary: 'A background job’s state and progress',
        params: z.object({ jobId: id }),
        response: {
          200: z.object({
            id: z.string(),
            type: z.string(),
            state: z.enum(['waiting', 'active', 'completed', 'failed']),
            progress: z.object({ done: z.number(), total: z.number() }),
            result: z.record(z.string(), z.unknown()).optional(),
          }),
        },
      },
    },
    async (request) => {
      const job = await deps.db
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', request.params.jobId)
        .executeTakeFirst();
      if (!job) throw new AppError('not_found', 'no such job');
      let member: Principal;
      try {
        member = (await requireMember(deps, request, job.workspace_id)).principal;
      } catch (error) {
        // A job of a workspace the caller is not in does not exist for them.
        if (error instanceof AppError && error.code === 'not_found')
          throw new AppError('not_found', 'no such job');
        throw error;
      }
      if (job.created_by !== member.userId && !checkPermission(member, 'users.manage').allowed) {
        throw new AppError('not_found', 'no such job');
      }
      return {
        id: job.id,
        type: job.type,
        state: job.state,
        progress: { done: job.progress_done, total: job.progress_total },
        ...(job.result ? { result: job.result } : {}),
      };
    },
  );
}
