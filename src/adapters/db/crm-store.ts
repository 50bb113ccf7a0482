import { sql, type Transaction } from 'kysely';
import type { ContactChatsSource } from '../../core/crm/list-contact-chats.js';
import type { CrmRecordsStore, CrmRecordsTx } from '../../core/crm/link-crm-record.js';
import { chatIdsOfContact } from './admin-reads.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';

/** CRM records and their grants on PostgreSQL (`core/crm/link-crm-record.ts`). */
export function crmRecordsStore(db: Database): CrmRecordsStore {
  return { transaction: (work) => db.transaction().execute((trx) => work(crmRecordsTx(trx))) };
}

function crmRecordsTx(trx: Transaction<DB>): CrmRecordsTx {
  return {
    async existingContacts(workspaceId, ids) {
      if (ids.length === 0) return [];
      const rows = await trx
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', [...ids])
        .execute();
      return rows.map((r) => r.id);
    },
    async existingChats(workspaceId, ids) {
      if (ids.length === 0) return [];
      const rows = await trx
        .selectFrom('chats')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', [...ids])
        .execute();
      return rows.map((r) => r.id);
    },
    async writeRecord(record) {
      const { integrationId, workspaceId, type, id } = record;
      const before = await trx
        .selectFrom('crm_records')
        .select(['contact_ids', 'chat_ids'])
        .where('integration_id', '=', integrationId)
        .where('record_type', '=', type)
        .where('record_id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      await trx
        .insertInto('crm_records')
        .values({
          integration_id: integrationId,
          workspace_id: workspaceId,
          record_type: type,
          record_id: id,
          contact_ids: [...record.contactIds],
          chat_ids: [...record.chatIds],
          user_ids: [...record.userIds],
        })
        .onConflict((oc) =>
          oc.columns(['integration_id', 'record_type', 'record_id']).doUpdateSet({
            contact_ids: [...record.contactIds],
            chat_ids: [...record.chatIds],
            user_ids: [...record.userIds],
            updated_at: new Date(),
          }),
        )
        .execute();
      const covered = (contactIds: readonly string[], chatIds: readonly string[]) =>
        trx
          .selectFrom('chats')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where((eb) =>
            eb.or([
              eb('id', '=', eb.fn.any(eb.val([...chatIds]))),
              eb('contact_id', '=', eb.fn.any(eb.val([...contactIds]))),
            ]),
          )
          .execute();
      const now = await covered(record.contactIds, record.chatIds);
      const was = before ? await covered(before.contact_ids, before.chat_ids) : [];
      const affected = [...new Set([...now, ...was].map((r) => r.id))];
      if (affected.length > 0) {
        // Every grant of these chats is derived again from all of the workspace's records, so
        // a chat two records grant keeps the other's grant when this one lets go.
        await trx
          .deleteFrom('crm_grants')
          .where('workspace_id', '=', workspaceId)
          .where('chat_id', 'in', affected)
          .execute();
        await sql`
          insert into crm_grants (workspace_id, chat_id, user_id, crm_record)
          select distinct on (c.id, u.user_id)
                 r.workspace_id, c.id, u.user_id,
                 r.integration_id || ':' || r.record_type || ':' || r.record_id
          from crm_records r
          join chats c on c.workspace_id = r.workspace_id
                      and (c.id = any(r.chat_ids) or c.contact_id = any(r.contact_ids))
          cross join unnest(r.user_ids) as u(user_id)
          where r.workspace_id = ${workspaceId} and c.id = any(${affected}::text[])
          order by c.id, u.user_id, r.updated_at desc
          on conflict do nothing
        `.execute(trx);
      }
      return { chats: now.length };
    },
    audit: (entry) => writeAudit(trx, entry),
  };
}

/** Where a panel finds a contact's chats: by phone, email, or a linked CRM record. */
export function contactChatsSource(db: Database): ContactChatsSource {
  return {
    async chatIdsOf(workspaceId, contact, limit) {
      if ('phone' in contact || 'email' in contact)
        return chatIdsOfContact(db, workspaceId, contact, limit);
      const { integrationId, type, id } = contact.record;
      const rows = await db
        .selectFrom('crm_records as r')
        .innerJoin('chats as c', (join) =>
          join
            .onRef('c.workspace_id', '=', 'r.workspace_id')
            .on((eb) =>
              eb.or([
                eb('c.id', '=', eb.fn.any('r.chat_ids')),
                eb('c.contact_id', '=', eb.fn.any('r.contact_ids')),
              ]),
            ),
        )
        .select('c.id')
        .where('r.integration_id', '=', integrationId)
        .where('r.record_type', '=', type)
        .where('r.record_id', '=', id)
        .where('r.workspace_id', '=', workspaceId)
        .orderBy('c.last_message_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
