import { existsSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { AppError } from '../../core/errors.js';
import { WhatsappAccounts, type WhatsappAccountsOptions } from './accounts.js';
import { lookupWhatsappContact, whatsappClientFactory } from './client.js';
import { createPostgresLeases, createRedisLeases, type Leases } from './lease.js';
import { PostgresSessionStore } from './session-store.js';
import type { WhatsappClientFactory } from './whatsapp-channel.js';

/**
 * The production set-up of WhatsApp accounts (called by main.ts): leases on Redis when it is
 * configured, else PostgreSQL advisory locks on a connection of their own; sessions in
 * PostgreSQL, working files under `<data dir>/whatsapp`; the browser is `CHROMIUM_PATH`, or
 * Debian's /usr/bin/chromium when it exists. Without a browser every account shows
 * `disconnected` and the log says why.
 */
export interface StartWhatsappOptions extends Pick<
  WhatsappAccountsOptions,
  'db' | 'ingest' | 'events' | 'companion' | 'log'
> {
  databaseUrl: string;
  redisUrl: string | undefined;
  dataDir: string;
  chromiumPath: string | undefined;
}

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function startWhatsappAccounts(options: StartWhatsappOptions): {
  accounts: WhatsappAccounts;
  /** Stops the accounts, then gives up the leases and their connection. */
  close(): Promise<void>;
} {
  const { log } = options;
  let leases: Leases;
  let redis: Redis | undefined;
  if (options.redisUrl) {
    redis = new Redis(options.redisUrl);
    redis.on('error', (error) => log.warn({ err: error }, 'WhatsApp leases: Redis'));
    leases = createRedisLeases({ redis });
  } else {
    leases = createPostgresLeases({ connectionString: options.databaseUrl });
  }

  const dataPath = path.join(options.dataDir, 'whatsapp');
  const chromiumPath =
    options.chromiumPath ?? (existsSync(DEFAULT_CHROMIUM) ? DEFAULT_CHROMIUM : undefined);
  let createClient: WhatsappClientFactory;
  if (chromiumPath) {
    createClient = whatsappClientFactory({
      store: new PostgresSessionStore(options.db, { dataPath }),
      dataPath,
      chromiumPath,
    });
  } else {
    const reason = `no Chromium: ${DEFAULT_CHROMIUM} does not exist and CHROMIUM_PATH is not set`;
    log.info({}, `WhatsApp accounts cannot run here (${reason})`);
    createClient = () => {
      throw new AppError('unavailable', reason);
    };
  }

  const accounts = new WhatsappAccounts({
    db: options.db,
    ingest: options.ingest,
    events: options.events,
    companion: options.companion,
    log,
    leases,
    createClient,
    lookupContact: chromiumPath ? lookupWhatsappContact : undefined,
  });
  accounts.start();
  return {
    accounts,
    async close() {
      await accounts.close();
      await leases.close();
      await redis?.quit().catch(() => undefined);
    },
  };
}
