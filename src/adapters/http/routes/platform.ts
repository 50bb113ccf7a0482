import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createOrganization } from '../../../core/workspaces/create-organization.js';
import { createWorkspace } from '../../../core/workspaces/create-workspace.js';
import { getWorkspace } from '../../../core/workspaces/get-workspace.js';
import { workspacesStore } from '../../db/workspaces-store.js';
import {
  organizationSchema as organization,
  presentOrganization,
  presentWorkspace,
  workspaceSchema as workspace,
} from '../../present/workspace.js';
import { authenticate, requireMember, requirePlatform, type HttpDeps } from '../context.js';
import { email, id, personName, user, wsParams } from '../schemas.js';

/** Organizations and workspaces (shared/API.md, "Platform and tenancy"). */
export function platformRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** What the tenancy use cases need, built once from the server's deps. */
  const tenancy = { store: workspacesStore(deps.db), access: deps.access };

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
      const created = await createOrganization(tenancy, {
        actor: { type: 'platform' },
        name: request.body.name,
        workspace: request.body.workspace,
        owner: request.body.owner,
      });
      return reply.status(201).send({
        organization: presentOrganization(created.organization),
        workspace: presentWorkspace(created.workspace),
        owner: created.owner,
        token: created.token,
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
      const created = await createWorkspace(tenancy, {
        actor: caller,
        organizationId: request.params.orgId,
        name: request.body.name,
      });
      return reply.status(201).send({ workspace: presentWorkspace(created) });
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
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      return {
        workspace: presentWorkspace(
          await getWorkspace(tenancy, { actor: principal, workspaceId: ws }),
        ),
      };
    },
  );
}
