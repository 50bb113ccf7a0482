import type { IdentityDirectory } from '../../core/identity/resolve-member.js';
import { executePrepared, type Database } from './database.js';

/** Users and their tokens on PostgreSQL (`core/identity/resolve-member.ts`). */
export function identityDirectory(db: Database): IdentityDirectory {
  return {
    async userByTokenHash(tokenHash) {
      // Every request makes this read: prepared (see `executePrepared`).
      const [row] = await executePrepared(
        db,
        db
          .selectFrom('api_tokens as t')
          .innerJoin('users as u', 'u.id', 't.user_id')
          .select(['u.id', 'u.email', 'u.name'])
          .where('t.token_hash', '=', tokenHash)
          .where('t.revoked_at', 'is', null),
      );
      return row;
    },
    async userById(userId) {
      const [row] = await executePrepared(
        db,
        db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', userId),
      );
      return row;
    },
    async userByEmail(email) {
      const [row] = await executePrepared(
        db,
        db
          .selectFrom('users')
          .select(['id', 'email', 'name'])
          .where('email', '=', email.trim().toLowerCase()),
      );
      return row;
    },
  };
}

/** Records that a member used the workspace just now (`memberships.last_seen_at`). */
export async function recordLastSeen(
  db: Database,
  workspaceId: string,
  userId: string,
  at: Date,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ last_seen_at: at })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
}
