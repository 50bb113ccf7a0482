import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createIntegration } from '../../../core/integrations/create-integration.js';
import { deleteIntegration } from '../../../core/integrations/delete-integration.js';
import type { IntegrationRecord } from '../../../core/integrations/integrations-store.js';
import { listIntegrations } from '../../../core/integrations/list-integrations.js';
import { integrationsStore } from '../../db/integrations-store.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, personName, wsParams } from '../schemas.js';

/** A Slack team id as Slack writes it (`T0123ABCD`; Enterprise Grid: `E…`). */
const slackTeamId = z
  .string()
  .regex(/^[A-Z0-9]{2,32}$/, 'a Slack team id, e.g. T0123ABCD (Slack: workspace settings)');

const integration = z.object({
  id: z.string(),
  type: z.literal('slack'),
  name: z.string(),
  teamId: z.string(),
});

const present = (i: IntegrationRecord) => ({
  id: i.id,
  type: i.type,
  name: i.name,
  teamId: i.teamId,
});

/** Integrations (shared/API.md "Integrations"): a Slack team linked to the workspace. */
export function integrationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const integrations = { store: integrationsStore(deps.db) };

  r.post(
    '/v1/workspaces/:ws/integrations',
    {
      schema: {
        summary: 'Link a Slack team: its slash commands act on this workspace',
        params: wsParams,
        body: z.discriminatedUnion('type', [
          z.object({ type: z.literal('slack'), teamId: slackTeamId, name: personName.optional() }),
        ]),
        response: { 201: z.object({ integration }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const created = await createIntegration(integrations, {
        actor: principal,
        workspaceId: ws,
        integration: request.body,
      });
      return reply.status(201).send({ integration: present(created) });
    },
  );

  r.get(
    '/v1/workspaces/:ws/integrations',
    {
      schema: {
        summary: 'The workspace’s integrations (secrets are never shown again)',
        params: wsParams,
        response: { 200: z.object({ items: z.array(integration) }) },
      },
    },
    async (request) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      return {
        items: (await listIntegrations(integrations, { actor: principal, workspaceId: ws })).map(
          present,
        ),
      };
    },
  );

  r.delete(
    '/v1/workspaces/:ws/integrations/:integrationId',
    {
      schema: {
        summary: 'Unlink an integration',
        params: z.object({ ws: id, integrationId: id }),
      },
    },
    async (request, reply) => {
      const { ws, integrationId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      await deleteIntegration(integrations, { actor: principal, workspaceId: ws, integrationId });
      return reply.status(204).send();
    },
  );
}
