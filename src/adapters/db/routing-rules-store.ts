import { sql, type Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type { RoutingRuleSpec } from '../../core/routing/index.js';
import type { RoutingRulesStore, RoutingRulesTx } from '../../core/routing/routing-store.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import { loadRules, toRule } from './routing.js';
import type { DB } from './schema.js';

/** The routing-rule admin actions' store on PostgreSQL (`core/routing/routing-store.ts`). */
export function routingRulesStore(db: Database): RoutingRulesStore {
  return {
    listRules: async (workspaceId) => (await loadRules(db, [workspaceId])).get(workspaceId) ?? [],
    transaction: (work) => db.transaction().execute((trx) => work(routingRulesTx(trx))),
  };
}

/** A rule's content as stored (`match` holds the conditions and the sticky fallback). */
const columns = (spec: RoutingRuleSpec) => ({
  name: spec.name,
  enabled: spec.enabled,
  match: JSON.stringify({ conditions: spec.conditions, stickyFallback: spec.stickyFallback }),
  target_type: spec.target.type,
  target_id: spec.target.type === 'team' ? spec.target.teamId : spec.target.userId,
  strategy: spec.strategy,
});

/** The functions that lock take the transaction they lock in; nothing else can reach them. */
function routingRulesTx(trx: Transaction<DB>): RoutingRulesTx {
  return {
    async lockRuleOrder(workspaceId) {
      // One writer of a workspace's rule order at a time (positions stay 0…n-1).
      await sql`select pg_advisory_xact_lock(hashtext(${`routing-rules:${workspaceId}`}))`.execute(
        trx,
      );
      const rows = await trx
        .selectFrom('routing_rules')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .orderBy('position')
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },

    async insertRule(workspaceId, position, spec) {
      await trx
        .updateTable('routing_rules')
        .set({ position: sql`position + 1` })
        .where('workspace_id', '=', workspaceId)
        .where('position', '>=', position)
        .execute();
      const row = await trx
        .insertInto('routing_rules')
        .values({ id: newId('rule'), workspace_id: workspaceId, position, ...columns(spec) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRule(row);
    },

    async updateRule(workspaceId, ruleId, spec) {
      const row = await trx
        .updateTable('routing_rules')
        .set({ ...columns(spec), updated_at: sql`now()` })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', ruleId)
        .returningAll()
        .executeTakeFirst();
      return row && toRule(row);
    },

    async deleteRule(workspaceId, ruleId) {
      const gone = await trx
        .deleteFrom('routing_rules')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', ruleId)
        .returning('position')
        .executeTakeFirst();
      if (!gone) return false;
      await trx
        .updateTable('routing_rules')
        .set({ position: sql`position - 1` })
        .where('workspace_id', '=', workspaceId)
        .where('position', '>', gone.position)
        .execute();
      return true;
    },

    async setRuleOrder(workspaceId, ruleIds) {
      // ordinality counts from 1: positions are 0-based.
      await sql`
        update routing_rules r set position = v.position - 1, updated_at = now()
        from unnest(${ruleIds}::text[]) with ordinality as v(id, position)
        where r.id = v.id and r.workspace_id = ${workspaceId}
      `.execute(trx);
    },

    audit: (entry) => writeAudit(trx, entry),
  };
}
