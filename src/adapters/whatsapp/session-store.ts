import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Store } from 'whatsapp-web.js';
import { AppError } from '../../core/errors.js';
import type { Database } from '../db/database.js';

/**
 * whatsapp-web.js' RemoteAuth keeps a session as a zip archive of the browser profile and
 * hands it to a store; this store keeps it in `whatsapp_sessions`, so a session survives
 * restarts and moves to whichever node holds the account's lease.
 *
 * The contract, read from RemoteAuth.js (1.34):
 * - the session name is `RemoteAuth-<clientId>`; the client id is our channel id;
 * - `save({session})`: RemoteAuth has just written `<dataPath>/<session>.zip`; store it (the
 *   store is told only the name, so it must know RemoteAuth's `dataPath`);
 * - `extract({session, path})`: write the stored archive to `path`; RemoteAuth unzips it;
 * - `sessionExists({session})`, `delete({session})` (on logout).
 */
export interface SessionStoreOptions {
  /** The `dataPath` given to RemoteAuth (its default is `./.wwebjs_auth/`). */
  dataPath: string;
}

const PREFIX = 'RemoteAuth-';

/** The channel id a RemoteAuth session name stands for. */
export function channelIdOfSession(session: unknown): string {
  if (typeof session === 'string' && session.startsWith(PREFIX)) {
    const channelId = session.slice(PREFIX.length);
    if (/^[-\w]{1,100}$/.test(channelId)) return channelId;
  }
  throw new AppError('invalid_input', `not a RemoteAuth session of a channel: ${String(session)}`);
}

export const sessionNameOf = (channelId: string): string => `${PREFIX}${channelId}`;

export class PostgresSessionStore implements Store {
  private readonly dataPath: string;

  constructor(
    private readonly db: Database,
    options: SessionStoreOptions,
  ) {
    this.dataPath = path.resolve(options.dataPath);
  }

  async sessionExists({ session }: { session: string }): Promise<boolean> {
    const row = await this.db
      .selectFrom('whatsapp_sessions')
      .select('channel_id')
      .where('channel_id', '=', channelIdOfSession(session))
      .executeTakeFirst();
    return row !== undefined;
  }

  async save({ session }: { session: string }): Promise<void> {
    const channelId = channelIdOfSession(session);
    const data = await readFile(path.join(this.dataPath, `${session}.zip`));
    // The workspace comes from the channel account itself: no account, no session.
    const result = await this.db
      .insertInto('whatsapp_sessions')
      .columns(['channel_id', 'workspace_id', 'data'])
      .expression((eb) =>
        eb
          .selectFrom('channel_accounts')
          .select(['id', 'workspace_id', sql<Buffer>`${data}::bytea`.as('data')])
          .where('id', '=', channelId)
          .where('type', '=', 'whatsapp'),
      )
      .onConflict((oc) =>
        oc.column('channel_id').doUpdateSet({
          data: (eb) => eb.ref('excluded.data'),
          updated_at: sql`now()`,
        }),
      )
      .executeTakeFirst();
    if (!result.numInsertedOrUpdatedRows)
      throw new AppError(
        'not_found',
        `no WhatsApp channel account ${channelId} to save a session for`,
      );
  }

  async extract({ session, path: target }: { session: string; path: string }): Promise<void> {
    const row = await this.db
      .selectFrom('whatsapp_sessions')
      .select('data')
      .where('channel_id', '=', channelIdOfSession(session))
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `no stored WhatsApp session ${session}`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, row.data);
  }

  async delete({ session }: { session: string }): Promise<void> {
    await this.db
      .deleteFrom('whatsapp_sessions')
      .where('channel_id', '=', channelIdOfSession(session))
      .execute();
  }
}
