import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.js';
import { SwitchboardRemoteAuth } from '../../../src/adapters/whatsapp/remote-auth.js';
import {
  PostgresSessionStore,
  channelIdOfSession,
  sessionNameOf,
} from '../../../src/adapters/whatsapp/session-store.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * The RemoteAuth store over `whatsapp_sessions`: its own contract, and whatsapp-web.js'
 * RemoteAuth itself saving a browser profile on one "node" and restoring it on another.
 */
const ws = 'ws_sessions';
let t: TestDatabase;
let tmp: string;

async function makeChannel(id: string) {
  await sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status)
    values (${id}, ${ws}, 'whatsapp', 'WA', 'workspace', 'qr_pending')`.execute(t.db);
}

/** The object RemoteAuth expects as its client before the browser starts. */
const fakeClientFor = (auth: { setup(client: unknown): void }) => {
  const events: string[] = [];
  auth.setup({
    options: { puppeteer: { headless: true } },
    emit: (event: string) => events.push(event),
  });
  return events;
};

beforeAll(async () => {
  t = await createTestDatabase();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sb-wa-sessions-'));
  await sql`insert into organizations (id, name) values ('org_sessions', 'Org')`.execute(t.db);
  await sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, 'org_sessions', 'W', 's')`.execute(
    t.db,
  );
});
afterAll(async () => {
  await t?.drop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('PostgresSessionStore (RemoteAuth store)', () => {
  it('maps RemoteAuth session names to channel ids and refuses anything else', () => {
    expect(sessionNameOf('ch_abc')).toBe('RemoteAuth-ch_abc');
    expect(channelIdOfSession('RemoteAuth-ch_abc')).toBe('ch_abc');
    for (const bad of ['RemoteAuth', 'ch_abc', 'RemoteAuth-../../etc', 'RemoteAuth-', 42]) {
      let caught: unknown;
      try {
        channelIdOfSession(bad);
      } catch (error) {
        caught = error;
      }
      expect(isAppError(caught) && caught.code).toBe('invalid_input');
    }
  });

  it('save reads <dataPath>/<session>.zip; extract writes it back; delete forgets it', async () => {
    await makeChannel('ch_store1');
    const dataPath = path.join(tmp, 'node-a');
    await mkdir(dataPath, { recursive: true });
    const store = new PostgresSessionStore(t.db, { dataPath });
    const session = sessionNameOf('ch_store1');
    expect(await store.sessionExists({ session })).toBe(false);

    const archive = Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 0, 255]);
    await writeFile(path.join(dataPath, `${session}.zip`), archive);
    await store.save({ session });
    expect(await store.sessionExists({ session })).toBe(true);
    const stored = await t.db.selectFrom('whatsapp_sessions').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ channel_id: 'ch_store1', workspace_id: ws });

    // A second save replaces the archive.
    const newer = Buffer.concat([archive, Buffer.from('more')]);
    await writeFile(path.join(dataPath, `${session}.zip`), newer);
    await store.save({ session });
    const target = path.join(tmp, 'elsewhere', 'restored.zip');
    await store.extract({ session, path: target });
    expect(await readFile(target)).toEqual(newer);

    await store.delete({ session });
    expect(await store.sessionExists({ session })).toBe(false);
  });

  it('no channel account, no session: save fails with not_found', async () => {
    const dataPath = path.join(tmp, 'node-x');
    await mkdir(dataPath, { recursive: true });
    const store = new PostgresSessionStore(t.db, { dataPath });
    await writeFile(path.join(dataPath, 'RemoteAuth-ch_missing.zip'), 'zip');
    await expect(store.save({ session: 'RemoteAuth-ch_missing' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('RemoteAuth (ours: waits for the unzip to finish) saves a profile on one node and restores it on another; logout deletes it', async () => {
    await makeChannel('ch_remote');
    const options = (node: string) => ({
      store: new PostgresSessionStore(t.db, { dataPath: path.join(tmp, node) }),
      clientId: 'ch_remote',
      dataPath: path.join(tmp, node),
      backupSyncIntervalMs: 60_000,
    });

    const first = new SwitchboardRemoteAuth(options('node-1')) as unknown as Record<string, any>;
    const events = fakeClientFor(first as never);
    await first.beforeBrowserInitialized();
    const profile = path.join(tmp, 'node-1', 'RemoteAuth-ch_remote');
    await mkdir(path.join(profile, 'Default', 'Local Storage', 'leveldb'), { recursive: true });
    await mkdir(path.join(profile, 'Default', 'IndexedDB'), { recursive: true });
    await writeFile(
      path.join(profile, 'Default', 'Local Storage', 'leveldb', '000003.log'),
      'wa-keys',
    );
    await writeFile(path.join(profile, 'Default', 'IndexedDB', 'wawc.db'), 'signal-store');
    await writeFile(path.join(profile, 'Default', 'Cache.tmp'), 'not needed');
    // Many small files: the stock RemoteAuth returned before most of them were restored.
    for (let i = 0; i < 40; i++)
      await writeFile(path.join(profile, 'Default', 'IndexedDB', `chunk-${i}.ldb`), `chunk ${i}`);
    await first.storeRemoteSession({ emit: true });
    expect(events).toEqual(['remote_session_saved']);
    expect(existsSync(path.join(tmp, 'node-1', 'RemoteAuth-ch_remote.zip'))).toBe(false);
    const saved = await t.db
      .selectFrom('whatsapp_sessions')
      .select(['channel_id', 'workspace_id'])
      .where('channel_id', '=', 'ch_remote')
      .executeTakeFirst();
    expect(saved).toEqual({ channel_id: 'ch_remote', workspace_id: ws });

    const second = new SwitchboardRemoteAuth(options('node-2')) as unknown as Record<string, any>;
    fakeClientFor(second as never);
    await second.beforeBrowserInitialized();
    const restored = path.join(tmp, 'node-2', 'RemoteAuth-ch_remote', 'Default');
    expect(
      await readFile(path.join(restored, 'Local Storage', 'leveldb', '000003.log'), 'utf8'),
    ).toBe('wa-keys');
    expect(await readFile(path.join(restored, 'IndexedDB', 'wawc.db'), 'utf8')).toBe(
      'signal-store',
    );
    expect(existsSync(path.join(restored, 'Cache.tmp'))).toBe(false);
    expect((await readdir(path.join(restored, 'IndexedDB'))).length).toBe(41);
    expect(await readFile(path.join(restored, 'IndexedDB', 'chunk-39.ldb'), 'utf8')).toBe(
      'chunk 39',
    );

    await second.logout();
    expect(await options('node-2').store.sessionExists({ session: 'RemoteAuth-ch_remote' })).toBe(
      false,
    );
  });
});
