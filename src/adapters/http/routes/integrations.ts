import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createIntegration } from '../../../core/integrations/create-integration.js';
import { deleteIntegration } from '../../../core/integrations/delete-integration.js';
import type { IntegrationRecord } from '../../../core/integrations/integrations-store.js';
import { listIntegrations } from '../../../core/integrations/list-integrations.js';
import { mapCrmUser } from '../../../core/integrations/map-crm-user.js';
import { integrationsStore } from '../../db/integrations-store.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, personName, wsParams } from '../schemas.js';

/** A Slack team id as Slack writes it (`T0123ABCD`; Enterprise Grid: `E…`). */
const slackTeamId = z
  .string()
  .regex(/^[A-Z0-9]{2,32}$/, 'a Slack team id, e.g. T0123ABCD (Slack: workspace settings)');

const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(500)
  .transform((u) => u.replace(/\/+$/, ''));

const newIntegration = z.discriminatedUnion('type', [
  z.object({ type: z.literal('slack'), teamId: slackTeamId, name: personName.optional() }),
  z.object({ type: z.literal('crm'), name: personName }),
  z.object({
    type: z.literal('pipedrive'),
    name: personName,
    /** Pipedrive's company id, as its panel requests carry it. */
    companyId: z.coerce.string().regex(/^\d{1,20}$/, 'a Pipedrive company id (digits)'),
    jwtSecret: z.string().min(16).max(500).optional(),
    basicAuth: z
      .object({ username: z.string().min(1).max(200), password: z.string().min(8).max(200) })
      .optional(),
    apiToken: z.string().min(10).max(200).optional(),
    apiBaseUrl: httpUrl
      .default('https://api.pipedrive.com')
      .describe(
        'A literal non-public address (or localhost) is refused (422) unless ' +
          'SWITCHBOARD_OUTBOUND_ALLOW allows it; a name resolving to one is refused when looking up.',
      ),
  }),
]);

const integration = z.object({
  id: z.string(),
  type: z.enum(['slack', 'crm', 'pipedrive']),
  name: z.string(),
  teamId: z.string().optional(),
  companyId: z.string().optional(),
  /** A generic CRM's signing secret: in the answer to its creation only. */
  secret: z.string().optional(),
});

/** An integration as the API shows it: never a secret, but at creation a CRM's own. */
function present(i: IntegrationRecord, showSecret = false) {
  const base = { id: i.id, type: i.type, name: i.name };
  switch (i.type) {
    case 'slack':
      return { ...base, teamId: i.teamId };
    case 'crm':
      return showSecret ? { ...base, secret: i.secret } : base;
    case 'pipedrive':
      return { ...base, companyId: i.companyId };
  }
}

/** Integrations (shared/API.md "Integrations"): Slack teams, generic CRMs, Pipedrive. */
export function integrationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const integrations = {
    store: integrationsStore(deps.db),
    access: deps.access,
    outboundPolicy: deps.outbound.policy,
  };

  r.post(
    '/v1/workspaces/:ws/integrations',
    {
      schema: {
        summary: 'Link a Slack team, a CRM (its signing secret is shown once) or Pipedrive',
        params: wsParams,
        body: newIntegration,
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
      return reply.status(201).send({ integration: present(created, true) });
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
      const items = await listIntegrations(integrations, { actor: principal, workspaceId: ws });
      return { items: items.map((i) => present(i)) };
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

  r.put(
    '/v1/workspaces/:ws/integrations/:integrationId/users/:crmUserId',
    {
      schema: {
        summary: 'This CRM user (e.g. a Pipedrive user id) acts as that member in the panels',
        params: z.object({ ws: id, integrationId: id, crmUserId: z.string().min(1).max(100) }),
        body: z.object({ userId: id }),
        response: {
          200: z.object({ mapping: z.object({ crmUserId: z.string(), userId: z.string() }) }),
        },
      },
    },
    async (request) => {
      const { ws, integrationId, crmUserId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      await mapCrmUser(integrations, {
        actor: principal,
        workspaceId: ws,
        integrationId,
        crmUserId,
        userId: request.body.userId,
      });
      return { mapping: { crmUserId, userId: request.body.userId } };
    },
  );
}
