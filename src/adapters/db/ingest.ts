import { sql } from 'kysely';
import { newId } from '../../core/ids.js';
import { previewOf, type InboundMessage } from '../../core/chats/inbound-message.js';
import type { Database } from './database.js';

export interface IngestResult {
  duplicate: boolean;
  chatId: string;
  messageId: string;
  newChat: boolean;
}

/**
 * Stores one inbound message: contact upsert (by phone, else email), chat upsert (by channel
 * and external id), message insert, chat recency. Idempotent on (channel, provider message
 * id): the same message twice is stored once, and the second time changes nothing.
 */
export async function ingestMessage(db: Database, m: InboundMessage): Promise<IngestResult> {
  const existing = await findExisting(db, m);
  if (existing) return existing;
  try {
    return await db.transaction().execute(async (trx) => {
      let contactId: string | undefined;
      if (m.contact.phone || m.contact.email) {
        const byKey = trx
          .selectFrom('contacts')
          .select('id')
          .where('workspace_id', '=', m.workspaceId);
        const found = await (
          m.contact.phone
            ? byKey.where('phone', '=', m.contact.phone)
            : byKey.where('email', '=', m.contact.email)
        ).executeTakeFirst();
        contactId = found?.id;
      }
      if (!contactId) {
        const chat = await trx
          .selectFrom('chats')
          .select('contact_id')
          .where('channel_id', '=', m.channelId)
          .where('external_id', '=', m.externalChatId)
          .executeTakeFirst();
        contactId = chat?.contact_id;
      }
      if (contactId) {
        await trx
          .updateTable('contacts')
          .set((eb) => ({
            name: m.contact.name,
            // A missing identifier may be added; an existing one is never overwritten here.
            phone: eb.fn.coalesce('phone', eb.val(m.contact.phone)),
            email: eb.fn.coalesce('email', eb.val(m.contact.email)),
            updated_at: sql`now()`,
          }))
          .where('id', '=', contactId)
          .execute();
      } else {
        contactId = newId('ct');
        await trx
          .insertInto('contacts')
          .values({
            id: contactId,
            workspace_id: m.workspaceId,
            name: m.contact.name,
            phone: m.contact.phone,
            email: m.contact.email,
          })
          .execute();
      }
      const chatId = newId('chat');
      const chat = await trx
        .insertInto('chats')
        .values({
          id: chatId,
          workspace_id: m.workspaceId,
          channel_id: m.channelId,
          external_id: m.externalChatId,
          contact_id: contactId,
          last_message_at: m.sentAt,
          last_message_preview: previewOf(m.text),
        })
        .onConflict((oc) =>
          oc.columns(['channel_id', 'external_id']).doUpdateSet({
            // Only a newer message moves the chat up and changes its preview.
            last_message_preview: sql`case when excluded.last_message_at >= chats.last_message_at then excluded.last_message_preview else chats.last_message_preview end`,
            last_message_at: sql`greatest(chats.last_message_at, excluded.last_message_at)`,
            updated_at: sql`now()`,
          }),
        )
        .returning(['id'])
        .executeTakeFirstOrThrow();
      const messageId = newId('msg');
      await trx
        .insertInto('messages')
        .values({
          id: messageId,
          workspace_id: m.workspaceId,
          chat_id: chat.id,
          channel_id: m.channelId,
          provider_message_id: m.providerMessageId,
          direction: 'in',
          text: m.text,
          status: 'received',
          sent_at: m.sentAt,
        })
        .execute();
      return { duplicate: false, chatId: chat.id, messageId, newChat: chat.id === chatId };
    });
  } catch (error) {
    // Two deliveries of one message raced: the loser finds the winner's row.
    if ((error as { code?: string }).code === '23505') {
      const raced = await findExisting(db, m);
      if (raced) return raced;
    }
    throw error;
  }
}

async function findExisting(db: Database, m: InboundMessage): Promise<IngestResult | undefined> {
  const row = await db
    .selectFrom('messages')
    .select(['id', 'chat_id'])
    .where('channel_id', '=', m.channelId)
    .where('provider_message_id', '=', m.providerMessageId)
    .executeTakeFirst();
  return row
    ? { duplicate: true, chatId: row.chat_id, messageId: row.id, newChat: false }
    : undefined;
}
