import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { restrictionsSchema, type Principal } from '../../../core/access/index.js';
import { assertMayExportMembers } from '../../../core/access/member-rules.js';
import { changeMemberAccess } from '../../../core/people/change-member-access.js';
import { changeMemberStatus } from '../../../core/people/change-member-status.js';
import { startRevoke } from '../../../core/people/start-revoke.js';
import { inviteMember } from '../../../core/people/invite-member.js';
import { acceptInvitation } from '../../../core/people/accept-invitation.js';
import { startBulkReassign } from '../../../core/people/start-bulk-reassign.js';
import { toCsv } from '../../../core/people/members-csv.js';
import { accountStore } from '../../db/account-store.js';
import { jobLookup } from '../../db/jobs.js';
import { viewJob } from '../../../core/people/view-job.js';
import { revokeMemberTokens } from '../../../core/people/revoke-member-tokens.js';
import { peopleStore } from '../../db/people-store.js';
import { presentJob } from '../../present/job.js';
import {
  MEMBERS_CSV_HEADER,
  memberCsvRows,
  memberListFor,
  memberSchema as member,
  type MemberJson,
} from '../../present/member.js';
import { requireMember, type HttpDeps } from '../context.js';
import { email, id, personName, user, wsParams } from '../schemas.js';

export function peopleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** What the people use cases need, built once from the server's deps. */
  const jobs = jobLookup(deps.db);
  const people = {
    store: peopleStore(deps.db),
    access: deps.access,
    events: deps.events,
    now: () => deps.now(),
  };

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
      const invitation = await inviteMember(people, {
        actor: principal,
        workspaceId: ws,
        ...request.body,
      });
      return reply.status(201).send({
        invitation: {
          id: invitation.id,
          email: invitation.email,
          role: invitation.role,
          status: 'pending' as const,
          token: invitation.token,
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
      return acceptInvitation(people, request.body);
    },
  );

  r.get(
    '/v1/workspaces/:ws/members',
    {
      schema: {
        summary:
          'Members (each with what the caller `may` do to them) and pending invitations; the roles the caller may give (`grantableRoles`)',
        params: wsParams,
        response: {
          200: z.object({
            items: z.array(member),
            grantableRoles: z.array(z.object({ id: z.string(), name: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      const { principal } = await requireMember(deps, request, request.params.ws);
      return memberListFor(deps, principal);
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
      assertMayExportMembers(principal);
      const teamNames = new Map(facts.teams.map((t) => [t.id, t.name]));
      const members = (await memberListFor(deps, principal)).items;
      const csv = toCsv(MEMBERS_CSV_HEADER, memberCsvRows(members, teamNames));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="members.csv"')
        .send(csv);
    },
  );

  const memberParams = z.object({ ws: id, userId: id });

  async function memberReply(actor: Principal, userId: string): Promise<MemberJson> {
    const found = (await memberListFor(deps, actor)).items.find((m) => m.user.id === userId);
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
      const { role, restrictions, capacity } = request.body;
      await changeMemberAccess(people, {
        actor: principal,
        workspaceId: ws,
        userId,
        ...(role !== undefined ? { role } : {}),
        ...(restrictions !== undefined ? { restrictions } : {}),
        ...(capacity !== undefined ? { capacity } : {}),
      });
      return { member: await memberReply(principal, userId) };
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
        await changeMemberStatus(people, { actor: principal, workspaceId: ws, userId, action });
        return { member: await memberReply(principal, userId) };
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
      const { principal } = await requireMember(deps, request, ws);
      const { reassignTo } = request.body;
      const { jobId } = await startRevoke(people, {
        actor: principal,
        workspaceId: ws,
        userId,
        ...(reassignTo !== undefined ? { reassignTo } : {}),
      });
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
      const { principal } = await requireMember(deps, request, ws);
      const { to } = request.body;
      const { jobId } = await startBulkReassign(people, {
        actor: principal,
        workspaceId: ws,
        userId,
        ...(to !== undefined ? { to } : {}),
      });
      return reply.status(202).send({ job: { id: jobId } });
    },
  );

  r.delete(
    '/v1/workspaces/:ws/members/:userId/tokens',
    {
      schema: {
        summary: 'Revoke every API token of a member (their own are DELETE /v1/me/tokens/:id)',
        params: memberParams,
        response: { 200: z.object({ revoked: z.number() }) },
      },
    },
    async (request) => {
      const { ws, userId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      return revokeMemberTokens(
        { store: accountStore(deps.db), access: deps.access, now: () => deps.now() },
        { actor: principal, workspaceId: ws, userId },
      );
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
      const { jobId } = request.params;
      // The job's workspace says whose member the caller must be; `viewJob` decides the rest.
      const found = await jobs.findJob(jobId);
      if (!found) throw new AppError('not_found', 'no such job');
      let actor: Principal;
      try {
        actor = (await requireMember(deps, request, found.workspaceId)).principal;
      } catch (error) {
        // A job of a workspace the caller is not in does not exist for them.
        if (error instanceof AppError && error.code === 'not_found')
          throw new AppError('not_found', 'no such job');
        throw error;
      }
      return presentJob(actor, await viewJob({ jobs }, { actor, jobId }));
    },
  );
}
