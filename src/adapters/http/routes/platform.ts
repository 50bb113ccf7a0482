import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { checkPermission } from '../../../core/access/index.js';
import { writeAudit } from '../../db/audit.js';
import { findOrCreateUser, issueToken, joinOrganization } from '../../db/users.js';
import { authenticate, requireMember, requirePlatform, type HttpDeps } from '../context.js';
import {
  email,
  id,
  iso,
  organization,
  personName,
  user,
  workspace,
  workspaceReply,
  wsParams,
} from '../schemas.js';

/** Organizations and workspaces (shared/API.md, "Platform and tenancy"). */
export function platformRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/organizations',
    {
      schema: {
        summary: 'Create an organization with its first workspace and Owner (platform token only)',
        body: z.object({
          name: personName,
          workspace: z.object({ name: personName }),
          owner: z.object({ email, name: personName }),
        }),
        response: {
          201: z.object({ organization, workspace, owner: user, token: z.string() }),
        },
      },
    },
    async (request, reply) => {
      requirePlatform(deps, request);
      const body = request.body;
      const result = await deps.db.transaction().execute(async (trx) => {
        const org = await trx
          .insertInto('organizations')
          .values({ id: newId('org'), name: body.name })
          .returningAll()
          .executeTakeFirstOrThrow();
        const ws = await trx
          .insertInto('workspaces')
          .values({
            id: newId('ws'),
            organization_id: org.id,
            name: body.workspace.name,
            integration_secret: randomBytes(32).toString('hex'),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const owner = await findOrCreateUser(trx, body.owner);
        await joinOrganization(trx, org.id, owner.id);
        await trx
          .insertInto('memberships')
          .values({ workspace_id: ws.id, user_id: owner.id, role: 'owner', status: 'active' })
          .execute();
        const token = await issueToken(trx, owner.id, 'owner');
        await writeAudit(trx, {
          organizationId: org.id,
          workspaceId: ws.id,
          actorUserId: null,
          action: 'organization.create',
          targetType: 'organization',
          targetId: org.id,
          after: { name: org.name, workspace: ws.name, owner: owner.email },
        });
        return { org, ws, owner, token };
      });
      return reply.status(201).send({
        organization: {
          id: result.org.id,
          name: result.org.name,
          createdAt: iso(result.org.created_at),
        },
        workspace: workspaceReply(result.ws),
        owner: { id: result.owner.id, email: result.owner.email, name: result.owner.name },
        token: result.token,
      });
    },
  );

  r.post(
    '/v1/organizations/:orgId/workspaces',
    {
      schema: {
        summary: 'Create another workspace in an organization (an Owner in the organization)',
        params: z.object({ orgId: id }),
        body: z.object({ name: personName }),
        response: { 201: z.object({ workspace }) },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(deps, request);
      const { orgId } = request.params;
      // An Owner of any active workspace of the organization manages the account.
      const ownerOf = await deps.db
        .selectFrom('memberships as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select(['m.workspace_id', 'm.role'])
        .where('w.organization_id', '=', orgId)
        .where('m.user_id', '=', caller.id)
        .where('m.status', '=', 'active')
        .execute();
      if (ownerOf.length === 0) throw new AppError('not_found', 'no such organization');
      const asOwner = await Promise.all(
        ownerOf.map(async (m) => (await requireMember(deps, request, m.workspace_id)).principal),
      );
      if (!asOwner.some((p) => checkPermission(p, 'workspace.manage').allowed)) {
        throw new AppError('forbidden', 'only an Owner may create workspaces');
      }
      const ws = await deps.db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto('workspaces')
          .values({
            id: newId('ws'),
            organization_id: orgId,
            name: request.body.name,
            integration_secret: randomBytes(32).toString('hex'),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('memberships')
          .values({ workspace_id: created.id, user_id: caller.id, role: 'owner', status: 'active' })
          .execute();
        await writeAudit(trx, {
          organizationId: orgId,
          workspaceId: created.id,
          actorUserId: caller.id,
          action: 'workspace.create',
          targetType: 'workspace',
          targetId: created.id,
          after: { name: created.name },
        });
        return created;
      });
      return reply.status(201).send({ workspace: workspaceReply(ws) });
    },
  );

  r.get(
    '/v1/workspaces/:ws',
    {
      schema: {
        summary: 'A workspace the caller belongs to',
        params: wsParams,
        response: { 200: z.object({ workspace }) },
      },
    },
    async (request) => {
      await requireMember(deps, request, request.params.ws);
      const ws = await deps.db
        .selectFrom('workspaces')
        .selectAll()
        .where('id', '=', request.params.ws)
        .executeTakeFirstOrThrow();
      return { workspace: workspaceReply(ws) };
    },
  );
}
