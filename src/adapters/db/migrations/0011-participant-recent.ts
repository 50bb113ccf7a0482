import { sql, type Kysely } from 'kysely';

/**
 * The list's participant branch ("chats I was added to") walks an index of its own.
 *
 * It used to read every chat the user takes part in — a chats row per participation — and sort
 * them to find the newest 50: ~570 buffer reads for a Collaborator in 128 chats at a million
 * chats. Like `chat_assignments`, `chat_participants` now carries a copy of its chat's
 * last_message_at, and (user_id, last_message_at DESC, chat_id DESC) answers the branch's
 * top-N from the index.
 *
 * The database keeps the copy: a new participant row takes it from its chat, and a statement
 * trigger on chats follows every change, as for chat_assignments. The insert reads the chat
 * FOR SHARE, which waits for a concurrent change of that chat to commit (and then reads the
 * new value) or makes the change wait for the insert — so the trigger that follows the change
 * always sees the row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE chat_participants ADD COLUMN last_message_at timestamptz;
    UPDATE chat_participants cp SET last_message_at = c.last_message_at
      FROM chats c WHERE c.id = cp.chat_id;
    ALTER TABLE chat_participants ALTER COLUMN last_message_at SET NOT NULL;

    DROP INDEX chat_participants_user;
    CREATE INDEX chat_participants_user_recent
      ON chat_participants (user_id, last_message_at DESC, chat_id DESC);

    CREATE FUNCTION chat_participants_take_last_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      SELECT c.last_message_at INTO NEW.last_message_at FROM chats c
        WHERE c.id = NEW.chat_id FOR SHARE;
      -- No such chat: the foreign key refuses the row (a NULL here would be refused first,
      -- with a less helpful error).
      IF NOT FOUND THEN NEW.last_message_at := '-infinity'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER chat_participants_last_message BEFORE INSERT OR UPDATE OF chat_id ON chat_participants
      FOR EACH ROW EXECUTE FUNCTION chat_participants_take_last_message();

    CREATE FUNCTION chat_participants_follow_last_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE chat_participants cp SET last_message_at = c.last_message_at
        FROM changed_chats c
        WHERE cp.chat_id = c.id AND cp.last_message_at IS DISTINCT FROM c.last_message_at;
      RETURN NULL;
    END $$;
    CREATE TRIGGER chats_update_participants AFTER UPDATE ON chats
      REFERENCING NEW TABLE AS changed_chats
      FOR EACH STATEMENT EXECUTE FUNCTION chat_participants_follow_last_message();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER chats_update_participants ON chats;
    DROP FUNCTION chat_participants_follow_last_message();
    DROP TRIGGER chat_participants_last_message ON chat_participants;
    DROP FUNCTION chat_participants_take_last_message();
    DROP INDEX chat_participants_user_recent;
    ALTER TABLE chat_participants DROP COLUMN last_message_at;
    CREATE INDEX chat_participants_user ON chat_participants (user_id, chat_id);
  `.execute(db);
}
