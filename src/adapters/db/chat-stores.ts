import { sql, type Transaction } from 'kysely';
import type { AssigneeRef } from '../../core/access/index.js';
import type { AssignmentStore } from '../../core/chats/assign-chat.js';
import type { ReplyStore } from '../../core/chats/reply-to-chat.js';
import { ownerRef } from './access/load-access.js';
import type { ChatListItem } from './access/list-visible-chats.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import { DELIVER_REPLY_TOPIC } from './outbox-topics.js';
import type { DB } from './schema.js';

/** Replies (`core/chats/reply-to-chat.ts`): message, chat and outbox in the caller's transaction. */
export function replyStore(db: Database): ReplyStore<Transaction<DB>> {
  return {
    async channel(workspaceId, channelId) {
      const row = await db
        .selectFrom('channel_accounts')
        .select(['id', 'type', 'outbound_url', 'owner_type', 'owner_user_id', 'owner_team_id'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', channelId)
        .executeTakeFirst();
      return (
        row && {
          id: row.id,
          workspaceId,
          owner: ownerRef(row),
          type: row.type,
          hasOutboundUrl: Boolean(row.outbound_url),
        }
      );
    },
    transaction: (work) => db.transaction().execute(work),
    async insertReply(trx, reply) {
      const row = await trx
        .insertInto('messages')
        .values({
          id: reply.id,
          workspace_id: reply.workspaceId,
          chat_id: reply.chatId,
          channel_id: reply.channelId,
          provider_message_id: `switchboard:${reply.id}`,
          direction: 'out',
          text: reply.text,
          author_user_id: reply.authorUserId,
          status: reply.status,
          sent_at: reply.sentAt,
        })
        .returning(['id', 'chat_id', 'channel_id', 'text', 'sent_at'])
        .executeTakeFirstOrThrow();
      return {
        id: row.id,
        chatId: row.chat_id,
        channelId: row.channel_id,
        text: row.text,
        authorUserId: reply.authorUserId,
        sentAt: row.sent_at,
        status: reply.status,
      };
    },
    async touchChat(trx, reply) {
      await trx
        .updateTable('chats')
        .set({
          last_message_at: sql`greatest(last_message_at, ${reply.sentAt})`,
          last_message_preview: reply.preview,
          updated_at: sql`now()`,
        })
        .where('workspace_id', '=', reply.workspaceId)
        .where('id', '=', reply.chatId)
        .execute();
    },
    async queueDelivery(trx, reply) {
      await trx
        .insertInto('outbox')
        .values({
          workspace_id: reply.workspaceId,
          topic: DELIVER_REPLY_TOPIC,
          payload: JSON.stringify({ messageId: reply.id }),
        })
        .execute();
    },
  };
}

const assigneeOf = (row: { user_id: string | null; team_id: string | null }): AssigneeRef =>
  row.user_id
    ? { type: 'user', userId: row.user_id }
    : row.team_id
      ? { type: 'team', teamId: row.team_id }
      : null;

/** As the audit log has always recorded an assignment's before and after. */
const auditBefore = (a: AssigneeRef) => ({
  userId: a?.type === 'user' ? a.userId : null,
  teamId: a?.type === 'team' ? a.teamId : null,
});
const auditAfter = (a: AssigneeRef) =>
  a && { type: a.type, id: a.type === 'user' ? a.userId : a.teamId };

/** Assignments (`core/chats/assign-chat.ts`): `chat_assignments`, locked in the caller's transaction. */
export function assignmentStore(db: Database): AssignmentStore<Transaction<DB>> {
  return {
    transaction: (work) => db.transaction().execute(work),
    async lockMemberStatus(trx, workspaceId, userId) {
      const member = await trx
        .selectFrom('memberships')
        .select('status')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .forShare()
        .executeTakeFirst();
      return member?.status;
    },
    async lockAssignee(trx, chatId) {
      return assigneeOf(
        await trx
          .selectFrom('chat_assignments')
          .select(['user_id', 'team_id'])
          .where('chat_id', '=', chatId)
          .forUpdate()
          .executeTakeFirstOrThrow(),
      );
    },
    async setAssignee(trx, chatId, target) {
      await trx
        .updateTable('chat_assignments')
        .set({
          user_id: target?.type === 'user' ? target.userId : null,
          team_id: target?.type === 'team' ? target.teamId : null,
          ...(target?.type === 'user' ? { last_user_id: target.userId } : {}),
        })
        .where('chat_id', '=', chatId)
        .execute();
    },
    async audit(trx, entry) {
      await writeAudit(trx, {
        workspaceId: entry.workspaceId,
        actorUserId: entry.actorUserId,
        action: 'chat.assign',
        targetType: 'chat',
        targetId: entry.chatId,
        before: auditBefore(entry.before),
        after: auditAfter(entry.after),
      });
    },
    summary: (workspaceId, chatId) => chatItem(db, workspaceId, chatId),
  };
}

/** One chat as lists show it (contact, assignee, last message); throws if it is not there. */
export async function chatItem(
  db: Database,
  workspaceId: string,
  chatId: string,
): Promise<ChatListItem> {
  const [item] = await chatItems(db, workspaceId, [chatId]);
  if (!item) throw new Error(`no chat ${chatId} in workspace ${workspaceId}`);
  return item;
}

/** Chats as lists show them, in the order asked; ids of other workspaces are absent. */
export async function chatItems(
  db: Database,
  workspaceId: string,
  chatIds: readonly string[],
): Promise<ChatListItem[]> {
  if (chatIds.length === 0) return [];
  const rows = await db
    .selectFrom('chats as c')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .innerJoin('chat_assignments as a', 'a.chat_id', 'c.id')
    .select([
      'c.id',
      'c.channel_id',
      'c.external_id',
      'a.user_id',
      'a.team_id',
      'c.last_message_at',
      'c.last_message_preview',
      'ct.id as contact_id',
      'ct.name',
      'ct.phone',
      'ct.email',
    ])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.id', 'in', [...new Set(chatIds)])
    .execute();
  const byId = new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        channelId: row.channel_id,
        externalId: row.external_id,
        contact: { id: row.contact_id, name: row.name, phone: row.phone, email: row.email },
        assignee: assigneeOf(row),
        lastMessageAt: row.last_message_at,
        lastMessagePreview: row.last_message_preview,
      },
    ]),
  );
  return chatIds.flatMap((id) => byId.get(id) ?? []);
}
