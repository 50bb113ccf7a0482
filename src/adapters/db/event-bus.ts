import pg from 'pg';
import type { EventPublisher, ReceivedEvent } from '../../core/events/events.js';
import { newId } from '../../core/ids.js';
import type { Database } from './database.js';
import { sql } from 'kysely';

/**
 * Events across processes through PostgreSQL's LISTEN/NOTIFY: it is there in every
 * deployment (embedded or not, with or without Redis), and a NOTIFY sent inside a
 * transaction is delivered only if it commits. Notices carry ids only (NOTIFY payloads are
 * capped at 8 kB).
 */
export const EVENTS_CHANNEL = 'switchboard_events';

/** A fresh event id made by PostgreSQL, for events sent by SQL itself (NOTIFY in a statement). */
export const SQL_EVENT_ID = sql`'evt_' || md5(random()::text || clock_timestamp()::text)`;

export interface EventBus extends EventPublisher {
  subscribe(listener: (event: ReceivedEvent) => void): () => void;
  close(): Promise<void>;
}

export async function createEventBus(
  db: Database,
  url: string,
  onError: (error: unknown) => void = () => undefined,
): Promise<EventBus> {
  const listeners = new Set<(event: ReceivedEvent) => void>();
  let client: pg.Client | undefined;
  let closed = false;

  const connect = async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'switchboard-events' });
    c.on('notification', (msg) => {
      if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
      for (const event of parseNotice(msg.payload)) {
        for (const listener of listeners) listener(event);
      }
    });
    c.on('error', (error) => {
      onError(error);
      // Reconnect: a listener that silently lost its connection would miss every event.
      if (!closed) setTimeout(() => void connect().catch(onError), 1_000);
    });
    await c.connect();
    await c.query(`LISTEN ${EVENTS_CHANNEL}`);
    client = c;
  };
  await connect();

  return {
    async publish(event) {
      await sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify({ id: newId('evt'), ...event })})`.execute(
        db,
      );
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      listeners.clear();
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * A notice is one event, or — when the database announces many at once (a revoke moves
 * thousands of chats, an ingest batch stores hundreds of messages) — one event type for a list
 * of chats, `chatIds` (with `messageIds` beside it for messages), which becomes one event per
 * item, with ids derived from the notice's so every process derives the same.
 */
export function parseNotice(payload: string): ReceivedEvent[] {
  let notice: unknown;
  try {
    notice = JSON.parse(payload);
  } catch {
    return [];
  }
  if (typeof notice !== 'object' || notice === null) return [];
  const { chatIds, messageIds, ...event } = notice as {
    chatIds?: unknown;
    messageIds?: unknown;
    id?: unknown;
  };
  if (typeof event.id !== 'string') return [];
  if (chatIds === undefined) return [event as ReceivedEvent];
  if (!Array.isArray(chatIds)) return [];
  // `messageIds`, when present, runs beside `chatIds` (message.created).
  const messages: unknown[] = Array.isArray(messageIds) ? messageIds : [];
  const id = event.id;
  return chatIds.flatMap((chatId: unknown, i) => {
    if (typeof chatId !== 'string') return [];
    const messageId = messages[i];
    return [
      {
        ...event,
        id: `${id}_${i}`,
        chatId,
        ...(typeof messageId === 'string' ? { messageId } : {}),
      } as ReceivedEvent,
    ];
  });
}
