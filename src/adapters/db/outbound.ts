import type { DeliverOutboundDeps, OutboundMessage } from '../../core/chats/deliver-outbound.js';
import type { SendThroughAccountDeps } from '../../core/chats/send-through-account.js';
import type { Database } from './database.js';

export function outboundStore(
  db: Database,
): Pick<DeliverOutboundDeps, 'load' | 'markStatus'> & Pick<SendThroughAccountDeps, 'markSent'> {
  return {
    async load(messageId) {
      const row = await db
        .selectFrom('messages as m')
        .innerJoin('chats as c', 'c.id', 'm.chat_id')
        .innerJoin('channel_accounts as ca', 'ca.id', 'm.channel_id')
        .leftJoin('users as u', 'u.id', 'm.author_user_id')
        .select([
          'm.id',
          'm.status',
          'm.text',
          'm.sent_at',
          'c.external_id',
          'c.id as chat_id',
          'u.id as author_id',
          'u.name as author_name',
          'ca.id as channel_id',
          'ca.type',
          'ca.outbound_url',
          'ca.secret',
        ])
        .where('m.id', '=', messageId)
        .where('m.direction', '=', 'out')
        .executeTakeFirst();
      if (!row) return undefined;
      const message: OutboundMessage = {
        id: row.id,
        status: row.status,
        text: row.text,
        sentAt: row.sent_at,
        externalChatId: row.external_id,
        chatId: row.chat_id,
        author:
          row.author_id && row.author_name ? { id: row.author_id, name: row.author_name } : null,
        channel: {
          id: row.channel_id,
          type: row.type,
          outboundUrl: row.outbound_url,
          secret: row.secret,
        },
      };
      return message;
    },
    async markStatus(messageId, status) {
      await db
        .updateTable('messages')
        .set({ status })
        .where('id', '=', messageId)
        .where('status', '=', 'pending')
        .execute();
    },
    /** The provider's id replaces our placeholder, so its acks (sent, delivered, read) find it. */
    async markSent(messageId, providerMessageId) {
      await db
        .updateTable('messages')
        .set({ status: 'sent', provider_message_id: providerMessageId })
        .where('id', '=', messageId)
        .where('status', '=', 'pending')
        .execute();
    },
  };
}

export { DELIVER_REPLY_TOPIC } from './outbox-topics.js';
