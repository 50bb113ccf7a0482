import path from 'node:path';
import wwebjs, { type Message, type Store } from 'whatsapp-web.js';
import { parseJid } from './jid.js';
import { SwitchboardRemoteAuth } from './remote-auth.js';
import type { ContactHint } from './to-inbound.js';
import type { WhatsappClientFactory } from './whatsapp-channel.js';

/**
 * The production client: whatsapp-web.js driving a headless Chromium (Debian's `chromium`
 * through `CHROMIUM_PATH`; puppeteer's own download is disabled), its session kept by
 * RemoteAuth in PostgreSQL (session-store.ts). Everything on disk lives under `dataPath`
 * and can be lost: the session comes back from the database.
 */
export interface WhatsappClientConfig {
  store: Store;
  /** Working folder for browser profiles, session archives and WhatsApp Web's cache. */
  dataPath: string;
  /** `CHROMIUM_PATH`; absent: puppeteer's default, which fails without a downloaded browser. */
  chromiumPath: string | undefined;
  /** How often RemoteAuth saves the session (at least 60 000; default 5 minutes). */
  backupSyncIntervalMs?: number;
}

export function whatsappClientFactory(config: WhatsappClientConfig): WhatsappClientFactory {
  const dataPath = path.resolve(config.dataPath);
  return ({ channelId }) =>
    new wwebjs.Client({
      authStrategy: new SwitchboardRemoteAuth({
        store: config.store,
        clientId: channelId,
        dataPath,
        backupSyncIntervalMs: config.backupSyncIntervalMs ?? 5 * 60_000,
      }),
      webVersionCache: { type: 'local', path: path.join(dataPath, 'web-cache') },
      puppeteer: {
        ...(config.chromiumPath ? { executablePath: config.chromiumPath } : {}),
        headless: true,
        args: ['--no-sandbox', '--disable-dev-shm-usage'],
      },
    });
}

/**
 * The other side of a direct chat, as WhatsApp Web knows it. For a `@lid` chat the library
 * reports the contact under its phone id when WhatsApp shares it; a phone is taken only from
 * such an id (`…@c.us`), never from a linked id's digits.
 */
export async function lookupWhatsappContact(message: Message): Promise<ContactHint> {
  const contact = await message.getContact();
  return {
    name: contact.name ?? contact.pushname ?? null,
    phone: parseJid(contact.id)?.phone ?? null,
  };
}
