import { sql, type Kysely } from 'kysely';

/**
 * `message.status_changed` whenever a reply's delivery state moves (pending → sent → delivered
 * → read, or failed), whoever moved it: the delivery job, the WhatsApp node's acks, a send that
 * failed for good. A trigger rather than a publish beside each UPDATE, so no writer can forget
 * it; the NOTIFY goes out only if the change commits. The event id is derived from the message
 * and its new state (a state is reached once: acks never go back), so every process and every
 * webhook delivery sees one id per transition. `switchboard_events` is the event bus's channel
 * (`EVENTS_CHANNEL` in adapters/db/event-bus.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION notify_message_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('switchboard_events', json_build_object(
        'id', 'evt_' || md5(NEW.id || ':' || NEW.status),
        'type', 'message.status_changed',
        'workspaceId', NEW.workspace_id,
        'chatId', NEW.chat_id,
        'messageId', NEW.id
      )::text);
      RETURN NULL;
    END $$;
    CREATE TRIGGER messages_status_changed AFTER UPDATE OF status ON messages
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.direction = 'out')
      EXECUTE FUNCTION notify_message_status();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER messages_status_changed ON messages;
    DROP FUNCTION notify_message_status();
  `.execute(db);
}
