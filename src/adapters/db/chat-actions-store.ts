import type { Transaction } from 'kysely';
import type { ChatActionsStore, ParticipantsTx } from '../../core/chats/chat-actions-store.js';
import { newId } from '../../core/ids.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';

/** Participants and ratings (`core/chats/chat-actions-store.ts`) on PostgreSQL. */
export function chatActionsStore(db: Database): ChatActionsStore {
  return {
    transaction: (work) => db.transaction().execute((trx) => work(participantsTx(trx))),
    async insertRating({ workspaceId, chatId, userId, score, comment }) {
      return db
        .insertInto('ratings')
        .values({
          id: newId('rat'),
          workspace_id: workspaceId,
          chat_id: chatId,
          user_id: userId,
          score,
          comment,
        })
        .returning(['id', 'score', 'comment'])
        .executeTakeFirstOrThrow();
    },
  };
}

/** The functions that lock take the transaction they lock in; nothing else can reach them. */
function participantsTx(trx: Transaction<DB>): ParticipantsTx {
  return {
    async lockMemberStatus(workspaceId, userId) {
      const member = await trx
        .selectFrom('memberships')
        .select('status')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .forShare()
        .executeTakeFirst();
      return member?.status;
    },
    async addParticipant({ workspaceId, chatId, userId, addedBy }) {
      await trx
        .insertInto('chat_participants')
        .values({ workspace_id: workspaceId, chat_id: chatId, user_id: userId, added_by: addedBy })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
  };
}
