import { sql, type Transaction } from 'kysely';
import { buildPrincipal, type Principal } from '../../core/access/index.js';
import {
  routeChat,
  routingRuleSchema,
  type RoundRobinState,
  type RoutingDecision,
  type RoutingRule,
} from '../../core/routing/index.js';
import { loadChatFacts, loadWorkspaceAccess } from './access/load-access.js';
import type { Database } from './database.js';
import type { NewChat } from './ingest.js';
import type { DB } from './schema.js';

type Queryable = Database | Transaction<DB>;
type RuleRow = {
  id: string;
  workspace_id: string;
  position: number;
  name: string;
  match: unknown;
  target_type: string;
  target_id: string;
  strategy: string;
  enabled: boolean;
};

/**
 * A stored rule as the routing core reads it (`match` holds conditions and the sticky
 * fallback). One that no longer passes validation (say the regex guard was tightened since it
 * was saved) is read as disabled, with the problem in its name, so it shows in every
 * explanation and in the API instead of stopping routing for the whole workspace.
 */
export function toRule(row: RuleRow): RoutingRule {
  const match = (row.match ?? {}) as { conditions?: unknown; stickyFallback?: unknown };
  const parsed = routingRuleSchema.safeParse({
    id: row.id,
    position: row.position,
    name: row.name,
    enabled: row.enabled,
    conditions: match.conditions ?? [],
    stickyFallback: match.stickyFallback ?? 'least_open',
    target:
      row.target_type === 'team'
        ? { type: 'team', teamId: row.target_id }
        : { type: 'user', userId: row.target_id },
    strategy: row.strategy,
  });
  if (parsed.success) return parsed.data;
  const problem = parsed.error.issues[0]?.message ?? 'invalid';
  return {
    id: row.id,
    position: row.position,
    name: `${row.name} (unreadable, not applied: ${problem})`.slice(0, 300),
    enabled: false,
    conditions: [],
    stickyFallback: 'least_open',
    target:
      row.target_type === 'team'
        ? { type: 'team', teamId: row.target_id }
        : { type: 'user', userId: row.target_id },
    strategy: 'round_robin',
  };
}

export async function loadRules(db: Queryable, workspaceIds: readonly string[]) {
  if (workspaceIds.length === 0) return new Map<string, RoutingRule[]>();
  const rows = await db
    .selectFrom('routing_rules')
    .selectAll()
    .where('workspace_id', 'in', workspaceIds)
    .orderBy('workspace_id')
    .orderBy('position')
    .orderBy('id')
    .execute();
  const byWorkspace = new Map<string, RoutingRule[]>();
  for (const row of rows)
    byWorkspace.set(row.workspace_id, [...(byWorkspace.get(row.workspace_id) ?? []), toRule(row)]);
  return byWorkspace;
}

/**
 * Routes the chats an ingest batch created (PRODUCT.md §4), inside the batch's transaction, so
 * a chat is seen — and announced — already with its assignee. Workspaces without enabled rules
 * cost one query for the whole batch. Routing of one workspace is serialized across processes
 * (a transaction-scoped advisory lock) so round-robin and open-chat counts stay true.
 */
export async function routeNewChats(
  trx: Transaction<DB>,
  created: readonly NewChat[],
): Promise<void> {
  const byWorkspace = new Map<string, NewChat[]>();
  for (const chat of created)
    byWorkspace.set(chat.workspaceId, [...(byWorkspace.get(chat.workspaceId) ?? []), chat]);
  const rules = await loadRules(trx, [...byWorkspace.keys()]);
  for (const [workspaceId, chats] of byWorkspace) {
    const workspaceRules = rules.get(workspaceId) ?? [];
    if (!workspaceRules.some((r) => r.enabled)) continue;
    await routeWorkspaceChats(trx, workspaceId, workspaceRules, chats);
  }
}

async function routeWorkspaceChats(
  trx: Transaction<DB>,
  workspaceId: string,
  rules: readonly RoutingRule[],
  chats: readonly NewChat[],
): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`routing:${workspaceId}`}))`.execute(trx);
  const facts = await loadWorkspaceAccess(trx, workspaceId);
  const principals = facts.members
    .map((m) => buildPrincipal(facts, m.userId))
    .filter((p): p is Principal => p !== undefined);
  const chatFacts = new Map(
    (
      await loadChatFacts(
        trx,
        workspaceId,
        chats.map((c) => c.chatId),
      )
    ).map((f) => [f.id, f]),
  );
  const contacts = new Map(
    (
      await trx
        .selectFrom('contacts')
        .select(['id', 'name', 'phone', 'email', 'fields'])
        .where('workspace_id', '=', workspaceId)
        .where(
          'id',
          'in',
          chats.map((c) => c.contactId),
        )
        .execute()
    ).map((c) => [c.id, c]),
  );
  const capacities: Record<string, number> = {};
  for (const m of await trx
    .selectFrom('memberships')
    .select(['user_id', 'capacity'])
    .where('workspace_id', '=', workspaceId)
    .where('capacity', 'is not', null)
    .execute())
    if (m.capacity !== null) capacities[m.user_id] = m.capacity;
  const openChats = await openChatCounts(trx, workspaceId, principals);
  const lastAssignees = await lastAssigneeByContact(trx, workspaceId, chats);
  let roundRobin: RoundRobinState = Object.fromEntries(
    (
      await trx
        .selectFrom('routing_cursors')
        .select(['target_key', 'last_user_id'])
        .where('workspace_id', '=', workspaceId)
        .execute()
    ).flatMap((c) => (c.last_user_id ? [[c.target_key, c.last_user_id]] : [])),
  );
  const cursorsBefore = roundRobin;

  const decisions: Array<{ chat: NewChat; decision: RoutingDecision }> = [];
  for (const chat of chats) {
    const access = chatFacts.get(chat.chatId);
    const contact = contacts.get(chat.contactId);
    if (!access || !contact) continue;
    const decision = routeChat({
      rules,
      chat: {
        ...access,
        contact: {
          name: contact.name,
          phone: contact.phone,
          email: contact.email,
          fields: stringFields(contact.fields),
        },
        firstMessageText: chat.firstMessage.text,
      },
      principals,
      teams: facts,
      openChats,
      capacities,
      lastAssigneeUserId: lastAssignees.get(chat.contactId) ?? null,
      roundRobin,
    });
    roundRobin = decision.roundRobin;
    if (decision.target?.type === 'user')
      openChats[decision.target.userId] = (openChats[decision.target.userId] ?? 0) + 1;
    decisions.push({ chat, decision });
  }

  const routedAt = new Date().toISOString();
  await sql`
    with decided as (
      select * from unnest(${decisions.map((d) => d.chat.chatId)}::text[],
                           ${decisions.map((d) => (d.decision.target?.type === 'user' ? d.decision.target.userId : null))}::text[],
                           ${decisions.map((d) => (d.decision.target?.type === 'team' ? d.decision.target.teamId : null))}::text[],
                           ${decisions.map((d) => JSON.stringify(explanation(d.decision, routedAt)))}::jsonb[])
        as v(id, user_id, team_id, routing)
    ), assigned as (
      update chat_assignments a set
        user_id = v.user_id,
        team_id = v.team_id,
        last_user_id = coalesce(v.user_id, a.last_user_id)
      from decided v
      where a.chat_id = v.id and a.workspace_id = ${workspaceId}
    )
    update chats c set routing = v.routing, updated_at = now()
    from decided v
    where c.id = v.id and c.workspace_id = ${workspaceId}
  `.execute(trx);
  const moved = Object.entries(roundRobin).filter(([key, user]) => cursorsBefore[key] !== user);
  if (moved.length)
    await sql`
      insert into routing_cursors (workspace_id, target_key, last_user_id)
      select ${workspaceId}, k, u from unnest(${moved.map(([k]) => k)}::text[], ${moved.map(([, u]) => u)}::text[]) as v(k, u)
      on conflict (workspace_id, target_key) do update set last_user_id = excluded.last_user_id, updated_at = now()
    `.execute(trx);
}

/** What `GET .../chats/:id` shows as `routing`: the decision, without the cursors. */
function explanation(decision: RoutingDecision, at: string) {
  return {
    at,
    rule: decision.rule,
    target: decision.target
      ? decision.target.type === 'user'
        ? { type: 'user', id: decision.target.userId }
        : { type: 'team', id: decision.target.teamId }
      : null,
    strategy: decision.strategy,
    reasons: decision.reasons,
  };
}

const stringFields = (fields: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(fields).flatMap(([k, v]) =>
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? [[k, String(v)]]
        : [],
    ),
  );

/** Open chats of each active member (least-open and capacity). */
async function openChatCounts(
  trx: Transaction<DB>,
  workspaceId: string,
  principals: readonly Principal[],
): Promise<Record<string, number>> {
  const active = principals.filter((p) => p.status === 'active').map((p) => p.userId);
  if (active.length === 0) return {};
  const { rows } = await sql<{ user_id: string; n: string }>`
    select u.user_id, (select count(*) from chat_assignments a join chats c on c.id = a.chat_id
                       where a.user_id = u.user_id and a.workspace_id = ${workspaceId} and c.status = 'open') as n
    from unnest(${active}::text[]) as u(user_id)
  `.execute(trx);
  return Object.fromEntries(rows.map((r) => [r.user_id, Number(r.n)]));
}

/** The contact's most recent earlier chat's last assignee (sticky). */
async function lastAssigneeByContact(
  trx: Transaction<DB>,
  workspaceId: string,
  chats: readonly NewChat[],
): Promise<Map<string, string>> {
  const { rows } = await sql<{ contact_id: string; user_id: string }>`
    select distinct on (c.contact_id) c.contact_id, a.last_user_id as user_id
    from chats c join chat_assignments a on a.chat_id = c.id
    where c.workspace_id = ${workspaceId} and c.contact_id = any(${chats.map((c) => c.contactId)}::text[])
      and a.last_user_id is not null and not (c.id = any(${chats.map((c) => c.chatId)}::text[]))
    order by c.contact_id, c.last_message_at desc
  `.execute(trx);
  return new Map(rows.map((r) => [r.contact_id, r.user_id]));
}
