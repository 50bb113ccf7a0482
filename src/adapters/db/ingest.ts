import { sql, type Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import { previewOf, type InboundMessage } from '../../core/chats/inbound-message.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';
import { EVENTS_CHANNEL, SQL_EVENT_ID } from './event-bus.js';

export interface IngestResult {
  duplicate: boolean;
  chatId: string;
  messageId: string;
  newChat: boolean;
}

/** A chat the batch created, with what routing needs to place it. */
export interface NewChat {
  chatId: string;
  workspaceId: string;
  channelId: string;
  contactId: string;
  firstMessage: InboundMessage;
}

/** Runs inside the batch's transaction, after its chats and messages are stored. */
export type AfterIngest = (trx: Transaction<DB>, created: readonly NewChat[]) => Promise<void>;

/**
 * Stores one inbound message; see `ingestBatch`.
 */
export async function ingestMessage(
  db: Database,
  m: InboundMessage,
  afterIngest?: AfterIngest,
): Promise<IngestResult> {
  const [result] = await ingestBatch(db, [m], afterIngest);
  if (!result) throw new Error('ingestBatch returned no result');
  return result;
}

/**
 * Stores inbound messages in one transaction with a handful of set-based statements, whatever
 * the batch's size: contact upsert (by phone, else email, else the chat's contact), chat upsert
 * (by channel and external id; only a newer message moves a chat up and changes its preview),
 * message insert, then `afterIngest` (routing of the chats created) and the events
 * (`chat.created`, `message.created`) as NOTIFYs delivered only if it all commits.
 *
 * Idempotent on (channel, provider message id): a message already stored — earlier, or twice
 * in this batch — is reported as a duplicate and changes nothing. Results are in input order.
 */
export async function ingestBatch(
  db: Database,
  batch: readonly InboundMessage[],
  afterIngest?: AfterIngest,
  onAfterIngestError?: (error: unknown) => void,
): Promise<IngestResult[]> {
  if (batch.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const results: Array<IngestResult | undefined> = [];
    const known = await existingMessages(trx, batch);
    // First occurrence of each message in the batch; later ones are duplicates of it.
    const firstIndex = new Map<string, number>();
    const fresh: Array<{ index: number; m: InboundMessage }> = [];
    batch.forEach((m, index) => {
      const key = messageKey(m.channelId, m.providerMessageId);
      const stored = known.get(key);
      if (stored) results[index] = { duplicate: true, ...stored, newChat: false };
      else if (!firstIndex.has(key)) {
        firstIndex.set(key, index);
        fresh.push({ index, m });
      }
    });

    if (fresh.length) {
      const contacts = await upsertContacts(
        trx,
        fresh.map((f) => f.m),
      );
      const chats = await upsertChats(
        trx,
        fresh.map((f) => f.m),
        contacts,
      );
      const stored = await insertMessages(
        trx,
        fresh.map((f) => f.m),
        chats,
      );
      const created: NewChat[] = [];
      const seenNew = new Set<string>();
      for (const { index, m } of fresh) {
        const chat = chats.get(chatKey(m.channelId, m.externalChatId));
        const messageId = stored.get(messageKey(m.channelId, m.providerMessageId));
        if (!chat || !messageId) continue; // stored meanwhile by another process: looked up below
        const newChat = chat.inserted && !seenNew.has(chat.id);
        if (newChat) {
          seenNew.add(chat.id);
          created.push({
            chatId: chat.id,
            workspaceId: m.workspaceId,
            channelId: m.channelId,
            contactId: chat.contactId,
            firstMessage: m,
          });
        }
        results[index] = { duplicate: false, chatId: chat.id, messageId, newChat };
      }
      if (afterIngest && created.length) {
        // Routing must never cost a message: if it fails (a bug, a rule it cannot read), its
        // writes are undone and the chats wait unassigned in HQ's queue, stored all the same.
        await sql`savepoint after_ingest`.execute(trx);
        try {
          await afterIngest(trx, created);
          await sql`release savepoint after_ingest`.execute(trx);
        } catch (error) {
          await sql`rollback to savepoint after_ingest`.execute(trx);
          onAfterIngestError?.(error);
        }
      }
      await announce(trx, batch, results);
    }

    // Messages another process stored between our look-up and our insert, and in-batch repeats.
    const raced = await existingMessages(
      trx,
      batch.filter((_, i) => !results[i]),
    );
    return batch.map((m, i) => {
      const key = messageKey(m.channelId, m.providerMessageId);
      const result =
        results[i] ??
        (() => {
          const first = firstIndex.get(key);
          const original = first === undefined ? undefined : results[first];
          const found = original ?? raced.get(key);
          return found
            ? { duplicate: true, chatId: found.chatId, messageId: found.messageId, newChat: false }
            : undefined;
        })();
      if (!result) throw new Error(`message ${m.providerMessageId} was neither stored nor found`);
      return result;
    });
  });
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
const messageKey = (channelId: string, providerId: string) => `${channelId}\u0000${providerId}`;
const chatKey = (channelId: string, externalId: string) => `${channelId}\u0000${externalId}`;

async function existingMessages(trx: Transaction<DB>, batch: readonly InboundMessage[]) {
  const found = new Map<string, { chatId: string; messageId: string }>();
  if (batch.length === 0) return found;
  const { rows } = await sql<{
    channel_id: string;
    provider_message_id: string;
    id: string;
    chat_id: string;
  }>`
    select m.channel_id, m.provider_message_id, m.id, m.chat_id
    from unnest(${batch.map((m) => m.channelId)}::text[], ${batch.map((m) => m.providerMessageId)}::text[]) as k(channel_id, pid)
    join messages m on m.channel_id = k.channel_id and m.provider_message_id = k.pid
  `.execute(trx);
  for (const r of rows)
    found.set(messageKey(r.channel_id, r.provider_message_id), {
      chatId: r.chat_id,
      messageId: r.id,
    });
  return found;
}

/**
 * Contact of each message, keyed by chat: by phone when the message has one, else by email,
 * else the chat's existing contact, else a new one. A name is refreshed; an identifier the
 * contact lacks may be added, one it has is never overwritten, and an email another contact
 * already has is not copied (emails are unique per workspace).
 */
async function upsertContacts(
  trx: Transaction<DB>,
  batch: readonly InboundMessage[],
): Promise<Map<string, string>> {
  const byChat = new Map<string, string>();
  // The latest message of each phone / email / chat decides the name.
  const byPhone = new Map<string, InboundMessage>();
  const byEmail = new Map<string, InboundMessage>();
  const bare: InboundMessage[] = [];
  for (const m of batch) {
    if (m.contact.phone) byPhone.set(`${m.workspaceId}\u0000${m.contact.phone}`, m);
    else if (m.contact.email) byEmail.set(`${m.workspaceId}\u0000${m.contact.email}`, m);
    else bare.push(m);
  }

  // Rows go in key order: concurrent batches then lock the same rows in the same order and
  // wait for each other instead of deadlocking.
  if (byPhone.size) {
    const rows = [...byPhone.entries()].sort(byKey).map(([, m]) => m);
    // One email per statement: two new contacts must not both take it.
    const emailTaken = new Set<string>();
    const emails = rows.map((m) => {
      const key = `${m.workspaceId}\u0000${m.contact.email ?? ''}`;
      if (!m.contact.email || emailTaken.has(key) || byEmail.has(key)) return null;
      emailTaken.add(key);
      return m.contact.email;
    });
    // A known contact with nothing new (the usual case) is only read, never rewritten.
    const { rows: stored } = await sql<{ id: string; workspace_id: string; phone: string }>`
      with v as (
        select * from unnest(${rows.map(() => newId('ct'))}::text[], ${rows.map((m) => m.workspaceId)}::text[],
                             ${rows.map((m) => m.contact.name)}::text[], ${rows.map((m) => m.contact.phone)}::text[],
                             ${emails}::text[]) as v(id, workspace_id, name, phone, email)
      ), same as (
        select c.id, c.workspace_id, c.phone from v
        join contacts c on c.workspace_id = v.workspace_id and c.phone = v.phone
        where c.name = v.name and (v.email is null or c.email is not null)
      ), upserted as (
        insert into contacts as c (id, workspace_id, name, phone, email)
        select v.id, v.workspace_id, v.name, v.phone,
               case when v.email is null or exists (select 1 from contacts o where o.workspace_id = v.workspace_id and o.email = v.email) then null else v.email end
        from v where not exists (select 1 from same s where s.workspace_id = v.workspace_id and s.phone = v.phone)
        on conflict (workspace_id, phone) where phone is not null do update
          set name = excluded.name, email = coalesce(c.email, excluded.email), updated_at = now()
        returning c.id, c.workspace_id, c.phone
      )
      select * from same union all select * from upserted
    `.execute(trx);
    const ids = new Map(stored.map((r) => [`${r.workspace_id}\u0000${r.phone}`, r.id]));
    for (const m of batch)
      if (m.contact.phone) {
        const id = ids.get(`${m.workspaceId}\u0000${m.contact.phone}`);
        if (id) byChat.set(chatKey(m.channelId, m.externalChatId), id);
      }
  }

  if (byEmail.size) {
    const rows = [...byEmail.entries()].sort(byKey).map(([, m]) => m);
    const { rows: stored } = await sql<{ id: string; workspace_id: string; email: string }>`
      with v as (
        select * from unnest(${rows.map(() => newId('ct'))}::text[], ${rows.map((m) => m.workspaceId)}::text[],
                             ${rows.map((m) => m.contact.name)}::text[], ${rows.map((m) => m.contact.email)}::text[])
                      as v(id, workspace_id, name, email)
      ), same as (
        select c.id, c.workspace_id, c.email from v
        join contacts c on c.workspace_id = v.workspace_id and c.email = v.email and c.name = v.name
      ), upserted as (
        insert into contacts as c (id, workspace_id, name, email)
        select v.id, v.workspace_id, v.name, v.email from v
        where not exists (select 1 from same s where s.workspace_id = v.workspace_id and s.email = v.email)
        on conflict (workspace_id, email) where email is not null do update set name = excluded.name, updated_at = now()
        returning c.id, c.workspace_id, c.email
      )
      select * from same union all select * from upserted
    `.execute(trx);
    const ids = new Map(stored.map((r) => [`${r.workspace_id}\u0000${r.email}`, r.id]));
    for (const m of batch)
      if (!m.contact.phone && m.contact.email) {
        const id = ids.get(`${m.workspaceId}\u0000${m.contact.email}`);
        if (id) byChat.set(chatKey(m.channelId, m.externalChatId), id);
      }
  }

  const unkeyed = bare.filter((m) => !byChat.has(chatKey(m.channelId, m.externalChatId)));
  if (unkeyed.length) {
    // No identifier: the chat's contact, or a new one per chat.
    const { rows: existing } = await sql<{
      channel_id: string;
      external_id: string;
      contact_id: string;
    }>`
      select c.channel_id, c.external_id, c.contact_id
      from unnest(${unkeyed.map((m) => m.channelId)}::text[], ${unkeyed.map((m) => m.externalChatId)}::text[]) as k(channel_id, external_id)
      join chats c on c.channel_id = k.channel_id and c.external_id = k.external_id
    `.execute(trx);
    for (const r of existing) byChat.set(chatKey(r.channel_id, r.external_id), r.contact_id);
    const toCreate = new Map<string, InboundMessage>();
    for (const m of unkeyed) {
      const key = chatKey(m.channelId, m.externalChatId);
      if (!byChat.has(key)) toCreate.set(key, m);
    }
    if (toCreate.size) {
      const rows = [...toCreate.entries()].map(([key, m]) => ({ key, m, id: newId('ct') }));
      await sql`
        insert into contacts (id, workspace_id, name)
        select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.m.workspaceId)}::text[],
                             ${rows.map((r) => r.m.contact.name)}::text[])
      `.execute(trx);
      for (const r of rows) byChat.set(r.key, r.id);
    }
    if (existing.length) {
      const latest = new Map<string, InboundMessage>();
      for (const m of unkeyed)
        latest.set(byChat.get(chatKey(m.channelId, m.externalChatId)) ?? '', m);
      const names = [...latest.entries()].filter(([id]) => id);
      await sql`
        update contacts c set name = v.name, updated_at = now()
        from unnest(${names.map(([id]) => id)}::text[], ${names.map(([, m]) => m.contact.name)}::text[]) as v(id, name)
        where c.id = v.id and c.name <> v.name
      `.execute(trx);
    }
  }
  return byChat;
}

interface StoredChat {
  id: string;
  contactId: string;
  inserted: boolean;
}

/** One row per chat, from its newest message in the batch. */
async function upsertChats(
  trx: Transaction<DB>,
  batch: readonly InboundMessage[],
  contacts: Map<string, string>,
): Promise<Map<string, StoredChat>> {
  const newest = new Map<string, InboundMessage>();
  for (const m of batch) {
    const key = chatKey(m.channelId, m.externalChatId);
    const current = newest.get(key);
    if (!current || m.sentAt >= current.sentAt) newest.set(key, m);
  }
  const rows = [...newest.entries()].sort(byKey).map(([key, m]) => ({
    m,
    id: newId('chat'),
    contactId: contacts.get(key) ?? '',
  }));
  const { rows: stored } = await sql<{
    id: string;
    channel_id: string;
    external_id: string;
    contact_id: string;
    inserted: boolean;
  }>`
    insert into chats as c (id, workspace_id, channel_id, external_id, contact_id, is_group, last_message_at, last_message_preview)
    select * from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.m.workspaceId)}::text[],
                         ${rows.map((r) => r.m.channelId)}::text[], ${rows.map((r) => r.m.externalChatId)}::text[],
                         ${rows.map((r) => r.contactId)}::text[], ${rows.map((r) => r.m.isGroup ?? false)}::boolean[],
                         ${rows.map((r) => r.m.sentAt.toISOString())}::timestamptz[], ${rows.map((r) => previewOf(r.m.text))}::text[])
    on conflict (channel_id, external_id) do update set
      last_message_preview = case when excluded.last_message_at >= c.last_message_at then excluded.last_message_preview else c.last_message_preview end,
      last_message_at = greatest(c.last_message_at, excluded.last_message_at),
      updated_at = now()
    returning c.id, c.channel_id, c.external_id, c.contact_id, (c.xmax = 0) as inserted
  `.execute(trx);
  return new Map(
    stored.map((r) => [
      chatKey(r.channel_id, r.external_id),
      { id: r.id, contactId: r.contact_id, inserted: r.inserted },
    ]),
  );
}

/**
 * Inserts the messages; one another process stored meanwhile is left to it (not returned). A
 * message the account wrote itself (`fromMe`, e.g. typed on the WhatsApp phone) is stored as
 * outgoing and sent.
 */
async function insertMessages(
  trx: Transaction<DB>,
  batch: readonly InboundMessage[],
  chats: Map<string, StoredChat>,
): Promise<Map<string, string>> {
  const rows = batch
    .map((m): [string, InboundMessage] => [messageKey(m.channelId, m.providerMessageId), m])
    .sort(byKey)
    .map(([, m]) => ({
      m,
      id: newId('msg'),
      chatId: chats.get(chatKey(m.channelId, m.externalChatId))?.id ?? '',
    }));
  const { rows: stored } = await sql<{
    id: string;
    channel_id: string;
    provider_message_id: string;
  }>`
    insert into messages (id, workspace_id, chat_id, channel_id, provider_message_id, direction, text, sender_external_id, media, status, sent_at)
    select v.id, v.workspace_id, v.chat_id, v.channel_id, v.pid,
           case when v.from_me then 'out' else 'in' end, v.text, v.sender, v.media,
           case when v.from_me then 'sent' else 'received' end, v.sent_at
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.m.workspaceId)}::text[], ${rows.map((r) => r.chatId)}::text[],
                ${rows.map((r) => r.m.channelId)}::text[], ${rows.map((r) => r.m.providerMessageId)}::text[],
                ${rows.map((r) => r.m.text)}::text[], ${rows.map((r) => r.m.senderExternalId ?? null)}::text[],
                ${rows.map((r) => (r.m.media ? JSON.stringify(r.m.media) : null))}::jsonb[],
                ${rows.map((r) => r.m.sentAt.toISOString())}::timestamptz[], ${rows.map((r) => r.m.fromMe === true)}::boolean[])
         as v(id, workspace_id, chat_id, channel_id, pid, text, sender, media, sent_at, from_me)
    on conflict (channel_id, provider_message_id) do nothing
    returning id, channel_id, provider_message_id
  `.execute(trx);
  return new Map(stored.map((r) => [messageKey(r.channel_id, r.provider_message_id), r.id]));
}

/**
 * `chat.created` for each chat the batch created and `message.created` for each message it
 * stored, as NOTIFYs in the batch's transaction: one notice per 100 events of a kind and
 * workspace, naming them (the event bus hands them on one by one).
 */
async function announce(
  trx: Transaction<DB>,
  batch: readonly InboundMessage[],
  results: ReadonlyArray<IngestResult | undefined>,
): Promise<void> {
  const created: Array<[string, string]> = [];
  const messages: Array<[string, string, string]> = [];
  results.forEach((r, i) => {
    const m = batch[i];
    if (!r || r.duplicate || !m) return;
    if (r.newChat) created.push([m.workspaceId, r.chatId]);
    messages.push([m.workspaceId, r.chatId, r.messageId]);
  });
  if (messages.length === 0) return;
  // Ordered so a chat's chat.created goes before its first message.created.
  await sql`
    select pg_notify(${EVENTS_CHANNEL}, notice::text) from (
    select json_build_object('id', ${SQL_EVENT_ID}, 'type', kind, 'workspaceId', workspace_id,
             'chatIds', json_agg(chat_id order by n), 'messageIds', json_agg(message_id order by n)) as notice
    from (
      select kind, workspace_id, chat_id, message_id, n, (row_number() over (partition by kind, workspace_id order by n) - 1) / 100 as chunk
      from (
        select 'chat.created' as kind, w as workspace_id, c as chat_id, null::text as message_id, n
        from unnest(${created.map((c) => c[0])}::text[], ${created.map((c) => c[1])}::text[]) with ordinality as t(w, c, n)
        union all
        select 'message.created', w, c, m, n
        from unnest(${messages.map((c) => c[0])}::text[], ${messages.map((c) => c[1])}::text[], ${messages.map((c) => c[2])}::text[]) with ordinality as t(w, c, m, n)
      ) as e
    ) as numbered
    group by kind, workspace_id, chunk
    order by kind, workspace_id, chunk
    ) as notices
  `.execute(trx);
}
