import type { AccountStore } from '../../core/identity/account-store.js';
import { newId } from '../../core/ids.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';

/** A user's account and API tokens on PostgreSQL (`core/identity/account-store.ts`). */
export function accountStore(db: Database): AccountStore {
  const live = () =>
    db
      .selectFrom('api_tokens')
      .select(['id', 'label as name', 'created_at as createdAt', 'last_used_at as lastUsedAt']);
  return {
    async workspacesOf(userId) {
      const rows = await db
        .selectFrom('memberships as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select(['w.id', 'w.name', 'w.organization_id', 'm.role', 'm.status'])
        .where('m.user_id', '=', userId)
        .where('m.status', '!=', 'revoked')
        .orderBy('w.name')
        .orderBy('w.id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        organizationId: r.organization_id,
        role: r.role,
        status: r.status === 'suspended' ? 'suspended' : 'active',
      }));
    },
    tokensOf(userId) {
      return live()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
    },
    async insertToken(userId, name, hash) {
      const row = await db
        .insertInto('api_tokens')
        .values({ id: newId('tok'), user_id: userId, token_hash: hash, label: name })
        .returning(['id', 'label as name', 'created_at as createdAt', 'last_used_at as lastUsedAt'])
        .executeTakeFirstOrThrow();
      return row;
    },
    async revokeToken(userId, tokenId, at) {
      const row = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', tokenId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },
    revokeAllTokens(userId, at, audit) {
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .updateTable('api_tokens')
          .set({ revoked_at: at })
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .returning('id')
          .execute();
        await writeAudit(trx, {
          workspaceId: audit.workspaceId,
          actorUserId: audit.actorUserId,
          action: 'member.tokens_revoke',
          targetType: 'member',
          targetId: userId,
          after: { revoked: rows.length },
        });
        return rows.length;
      });
    },
  };
}

/** Records that a token was used just now (`api_tokens.last_used_at`). */
export async function recordTokenUse(db: Database, tokenHash: Buffer, at: Date): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .execute();
}
