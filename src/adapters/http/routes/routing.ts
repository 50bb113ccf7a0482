import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { routingRuleInputSchema } from '../../../core/routing/index.js';
import { createRoutingRule } from '../../../core/routing/create-routing-rule.js';
import { deleteRoutingRule } from '../../../core/routing/delete-routing-rule.js';
import { listRoutingRules } from '../../../core/routing/list-routing-rules.js';
import { reorderRoutingRules } from '../../../core/routing/reorder-routing-rules.js';
import { updateRoutingRule } from '../../../core/routing/update-routing-rule.js';
import { routingRulesStore } from '../../db/routing-rules-store.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, wsParams } from '../schemas.js';

const ruleParams = wsParams.extend({ ruleId: id });

/** Rules as the API shows them: the input's shape plus id and position. */
const ruleSchema = z.object({
  id: z.string(),
  position: z.number(),
  name: z.string(),
  enabled: z.boolean(),
  conditions: z.array(z.record(z.string(), z.unknown())),
  target: z.union([
    z.object({ type: z.literal('team'), teamId: z.string() }),
    z.object({ type: z.literal('user'), userId: z.string() }),
  ]),
  strategy: z.enum(['round_robin', 'least_open', 'sticky']),
  stickyFallback: z.enum(['least_open', 'round_robin']),
});

/**
 * Routing rules (PRODUCT.md §4), managed by those with settings.manage: tried in order of
 * `position` on every new inbound chat; the first that matches picks a team or a user.
 */
export function routingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** What the routing-rule use cases need, built once from the server's deps. */
  const rules = { store: routingRulesStore(deps.db), access: deps.access };

  r.get(
    '/v1/workspaces/:ws/routing-rules',
    {
      schema: {
        summary: 'Routing rules, in the order they are tried',
        params: wsParams,
        response: { 200: z.object({ items: z.array(ruleSchema) }) },
      },
    },
    async (request) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      return { items: await listRoutingRules(rules, { actor: principal, workspaceId: ws }) };
    },
  );

  r.post(
    '/v1/workspaces/:ws/routing-rules',
    {
      schema: {
        summary: 'Add a routing rule (tried after the existing ones unless `position` is given)',
        params: wsParams,
        body: routingRuleInputSchema.extend({
          position: z.number().int().min(0).max(10_000).optional(),
        }),
        response: { 201: z.object({ rule: ruleSchema }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const { position, ...spec } = request.body;
      const rule = await createRoutingRule(rules, {
        actor: principal,
        workspaceId: ws,
        spec,
        ...(position === undefined ? {} : { position }),
      });
      return reply.status(201).send({ rule });
    },
  );

  r.put(
    '/v1/workspaces/:ws/routing-rules/:ruleId',
    {
      schema: {
        summary: 'Replace a routing rule (its position stays)',
        params: ruleParams,
        body: routingRuleInputSchema,
        response: { 200: z.object({ rule: ruleSchema }) },
      },
    },
    async (request) => {
      const { ws, ruleId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const rule = await updateRoutingRule(rules, {
        actor: principal,
        workspaceId: ws,
        ruleId,
        spec: request.body,
      });
      return { rule };
    },
  );

  r.delete(
    '/v1/workspaces/:ws/routing-rules/:ruleId',
    { schema: { summary: 'Remove a routing rule', params: ruleParams } },
    async (request, reply) => {
      const { ws, ruleId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      await deleteRoutingRule(rules, { actor: principal, workspaceId: ws, ruleId });
      return reply.status(204).send();
    },
  );

  r.put(
    '/v1/workspaces/:ws/routing-rules/order',
    {
      schema: {
        summary: 'Set the order rules are tried in: every rule id, once',
        params: wsParams,
        body: z.object({ ids: z.array(id).max(1000) }),
        response: { 200: z.object({ items: z.array(ruleSchema) }) },
      },
    },
    async (request) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const items = await reorderRoutingRules(rules, {
        actor: principal,
        workspaceId: ws,
        ruleIds: request.body.ids,
      });
      return { items };
    },
  );
}
