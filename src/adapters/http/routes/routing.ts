import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import {
  activeTeam,
  checkPermission,
  type Principal,
  type WorkspaceAccessFacts,
} from '../../../core/access/index.js';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { routingRuleInputSchema, type RoutingRuleSpec } from '../../../core/routing/index.js';
import { writeAudit } from '../../db/audit.js';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { loadRules, toRule } from '../../db/routing.js';
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

function requireSettings(principal: Principal) {
  const decision = checkPermission(principal, 'settings.manage');
  if (!decision.allowed)
    throw new AppError(
      'forbidden',
      `routing rules need settings.manage: ${decision.reasons.join('; ')}`,
    );
}

/**
 * The target must be a member of this workspace or a team that may take chats (`activeTeam`,
 * the rule assigning follows too: a suspended or deleted team's queue is HQ's); 422 otherwise,
 * with no hints across workspaces.
 */
async function assertTarget(
  db: Database,
  facts: WorkspaceAccessFacts,
  ws: string,
  spec: RoutingRuleSpec,
) {
  const found =
    spec.target.type === 'team'
      ? activeTeam(facts, spec.target.teamId)
      : await db
          .selectFrom('memberships')
          .select('user_id as id')
          .where('workspace_id', '=', ws)
          .where('user_id', '=', spec.target.userId)
          .executeTakeFirst();
  if (!found)
    throw new AppError('invalid_input', 'the rule’s target is not in this workspace', {
      details: [{ path: 'body.target', message: 'no such active team or member' }],
    });
}

/** One writer of a workspace's rule order at a time (positions stay 0…n-1). */
const lockRuleOrder = (trx: Transaction<DB>, ws: string) =>
  sql`select pg_advisory_xact_lock(hashtext(${`routing-rules:${ws}`}))`.execute(trx);

const columns = (spec: RoutingRuleSpec) => ({
  name: spec.name,
  enabled: spec.enabled,
  match: JSON.stringify({ conditions: spec.conditions, stickyFallback: spec.stickyFallback }),
  target_type: spec.target.type,
  target_id: spec.target.type === 'team' ? spec.target.teamId : spec.target.userId,
  strategy: spec.strategy,
});

/**
 * Routing rules (PRODUCT.md §4), managed by those with settings.manage: tried in order of
 * `position` on every new inbound chat; the first that matches picks a team or a user.
 */
export function routingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

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
      requireSettings(principal);
      const rules = (await loadRules(deps.db, [ws])).get(ws) ?? [];
      return { items: rules };
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
      const { principal, facts } = await requireMember(deps, request, ws);
      requireSettings(principal);
      const { position, ...spec } = request.body;
      await assertTarget(deps.db, facts, ws, spec);
      const row = await deps.db.transaction().execute(async (trx) => {
        await lockRuleOrder(trx, ws);
        const { n } = await trx
          .selectFrom('routing_rules')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow();
        const at = Math.min(position ?? Number(n), Number(n));
        await trx
          .updateTable('routing_rules')
          .set({ position: sql`position + 1` })
          .where('workspace_id', '=', ws)
          .where('position', '>=', at)
          .execute();
        const created = await trx
          .insertInto('routing_rules')
          .values({ id: newId('rule'), workspace_id: ws, position: at, ...columns(spec) })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'routing_rule.create',
          targetType: 'routing_rule',
          targetId: created.id,
          after: spec,
        });
        return created;
      });
      return reply.status(201).send({ rule: toRule(row) });
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
      const { principal, facts } = await requireMember(deps, request, ws);
      requireSettings(principal);
      await assertTarget(deps.db, facts, ws, request.body);
      const row = await deps.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('routing_rules')
          .set({ ...columns(request.body), updated_at: sql`now()` })
          .where('workspace_id', '=', ws)
          .where('id', '=', ruleId)
          .returningAll()
          .executeTakeFirst();
        if (!updated) throw new AppError('not_found', 'no such routing rule');
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'routing_rule.update',
          targetType: 'routing_rule',
          targetId: ruleId,
          after: request.body,
        });
        return updated;
      });
      return { rule: toRule(row) };
    },
  );

  r.delete(
    '/v1/workspaces/:ws/routing-rules/:ruleId',
    { schema: { summary: 'Remove a routing rule', params: ruleParams } },
    async (request, reply) => {
      const { ws, ruleId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      requireSettings(principal);
      await deps.db.transaction().execute(async (trx) => {
        await lockRuleOrder(trx, ws);
        const gone = await trx
          .deleteFrom('routing_rules')
          .where('workspace_id', '=', ws)
          .where('id', '=', ruleId)
          .returning('position')
          .executeTakeFirst();
        if (!gone) throw new AppError('not_found', 'no such routing rule');
        await trx
          .updateTable('routing_rules')
          .set({ position: sql`position - 1` })
          .where('workspace_id', '=', ws)
          .where('position', '>', gone.position)
          .execute();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'routing_rule.delete',
          targetType: 'routing_rule',
          targetId: ruleId,
        });
      });
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
      requireSettings(principal);
      const { ids } = request.body;
      await deps.db.transaction().execute(async (trx) => {
        await lockRuleOrder(trx, ws);
        const existing = await trx
          .selectFrom('routing_rules')
          .select('id')
          .where('workspace_id', '=', ws)
          .execute();
        const known = new Set(existing.map((e) => e.id));
        if (
          ids.length !== known.size ||
          new Set(ids).size !== ids.length ||
          !ids.every((i) => known.has(i))
        )
          throw new AppError('invalid_input', 'list every rule of the workspace exactly once', {
            details: [
              { path: 'body.ids', message: `expected the ${known.size} rule ids, each once` },
            ],
          });
        await sql`
          update routing_rules r set position = v.position, updated_at = now()
          from unnest(${ids}::text[]) with ordinality as v(id, position)
          where r.id = v.id and r.workspace_id = ${ws}
        `.execute(trx);
        // ordinality counts from 1: shift to 0-based.
        await sql`update routing_rules set position = position - 1 where workspace_id = ${ws}`.execute(
          trx,
        );
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'routing_rule.reorder',
          targetType: 'workspace',
          targetId: ws,
          after: { ids },
        });
      });
      return { items: (await loadRules(deps.db, [ws])).get(ws) ?? [] };
    },
  );
}
