import type { Transaction } from 'kysely';
import { currentLogContext } from '../logging/log-context.js';
import type { DB } from './schema.js';
import type { Database } from './database.js';

export interface AuditEntry {
  organizationId?: string | null;
  workspaceId?: string | null;
  /** Null: the platform token or the system. */
  actorUserId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Every admin action writes one entry (who, what, when, before/after, and through which door:
 * the `via` of the request running it), in the action's transaction.
 */
export async function writeAudit(db: Database | Transaction<DB>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      organization_id: entry.organizationId ?? null,
      workspace_id: entry.workspaceId ?? null,
      actor_user_id: entry.actorUserId,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId ?? null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
      via: currentLogContext()?.via ?? null,
    })
    .execute();
}
