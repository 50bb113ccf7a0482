import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import type { Client } from 'whatsapp-web.js';
import { whatsappClientFactory } from '../../../src/adapters/whatsapp/client.js';
import { PostgresSessionStore } from '../../../src/adapters/whatsapp/session-store.js';
import { createTestDatabase } from '../../support/database.js';

/**
 * The production client for real: whatsapp-web.js' `Client` with our RemoteAuth store and a
 * headless Chromium. It needs a Chromium (`CHROMIUM_PATH`, or Debian's at /usr/bin/chromium;
 * puppeteer's own download is disabled) and shows as skipped, by name, without one. No
 * WhatsApp account is involved: it checks that the browser starts (and, where WhatsApp Web
 * is reachable, that a QR code comes), then always destroys the client.
 */
const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find(
  (candidate): candidate is string => Boolean(candidate && existsSync(candidate)),
);
const name = chromium
  ? `launches the real Client with Chromium (${chromium}) and destroys it`
  : 'launches the real Client with Chromium (skipped: no Chromium at CHROMIUM_PATH or /usr/bin/chromium)';

describe('whatsapp-web.js Client with Chromium', () => {
  it.skipIf(!chromium)(
    name,
    async () => {
      const t = await createTestDatabase();
      const dataPath = await mkdtemp(path.join(os.tmpdir(), 'sb-wa-real-'));
      await sql`insert into organizations (id, name) values ('org_real', 'Org')`.execute(t.db);
      await sql`insert into workspaces (id, organization_id, name, integration_secret) values ('ws_real', 'org_real', 'W', 's')`.execute(
        t.db,
      );
      await sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values ('ch_real', 'ws_real', 'whatsapp', 'WA', 'workspace', 'qr_pending')`.execute(
        t.db,
      );
      const createClient = whatsappClientFactory({
        store: new PostgresSessionStore(t.db, { dataPath }),
        dataPath,
        chromiumPath: chromium,
      });
      const client = createClient({ workspaceId: 'ws_real', channelId: 'ch_real' }) as Client;
      const qrs: string[] = [];
      client.on('qr', (qr) => qrs.push(qr));
      // Without network WhatsApp Web never loads and initialize() fails or hangs: not what is tested.
      const initializing = client.initialize().catch((error: unknown) => error);
      try {
        await vi.waitFor(() => expect(client.pupBrowser?.connected).toBe(true), {
          timeout: 90_000,
          interval: 250,
        });
        expect(await client.pupBrowser?.version()).toMatch(/Chrom/i);
        // The profile lives where RemoteAuth put it, named after the channel.
        expect(existsSync(path.join(dataPath, 'RemoteAuth-ch_real'))).toBe(true);
        await Promise.race([
          vi.waitFor(() => expect(qrs.length).toBeGreaterThan(0), {
            timeout: 20_000,
            interval: 250,
          }),
          initializing,
        ]).catch(() => undefined); // a QR code needs WhatsApp Web to be reachable
      } finally {
        await client.destroy().catch(() => undefined);
        await Promise.race([initializing, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        await t.drop();
        await rm(dataPath, { recursive: true, force: true });
      }
      expect(client.pupBrowser?.connected).toBe(false);
    },
    180_000,
  );
});
