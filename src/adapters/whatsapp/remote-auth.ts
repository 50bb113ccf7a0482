import { unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import wwebjs, { type Store } from 'whatsapp-web.js';

/**
 * whatsapp-web.js' RemoteAuth with one fix: restoring a session restores all of it.
 *
 * In 1.34 `unCompressSession` pipes the archive through unzipper's streaming `Extract` and
 * resolves on its `finish`, which fires once the archive has been read, before the files are
 * written. Measured here on a profile of 20 small files: every restore was incomplete when
 * RemoteAuth returned (about 7 of 20 files present); waiting for the extractor's `close`
 * instead still left files missing 300 ms later in 4 of 5 runs. The browser would start on a
 * partial profile and ask for a new QR code although the session was saved. This subclass
 * extracts from the archive's central directory (unzipper's `Open.file(...).extract`), which
 * resolves after every file is written and closed: 0 of 20 incomplete.
 *
 * unzipper is whatsapp-web.js' own dependency, loaded from there so both use the same one.
 */
interface Unzipper {
  Open: {
    file(
      path: string,
    ): Promise<{ extract(options: { path: string; concurrency?: number }): Promise<unknown> }>;
  };
}
const requireFromWwebjs = createRequire(createRequire(import.meta.url).resolve('whatsapp-web.js'));
const unzipper = requireFromWwebjs('unzipper') as Unzipper;

export interface RemoteAuthOptions {
  store: Store;
  /** Our channel id: the session is named `RemoteAuth-<channelId>`. */
  clientId: string;
  dataPath: string;
  /** At least 60 000 (RemoteAuth refuses less). */
  backupSyncIntervalMs: number;
}

export class SwitchboardRemoteAuth extends wwebjs.RemoteAuth {
  constructor(options: RemoteAuthOptions) {
    super(options);
  }

  /** Replaces RemoteAuth's method of the same name (not in its typings). */
  async unCompressSession(compressedSessionPath: string): Promise<void> {
    const userDataDir = (this as unknown as { userDataDir: string }).userDataDir;
    const archive = await unzipper.Open.file(compressedSessionPath);
    await archive.extract({ path: userDataDir, concurrency: 10 });
    await unlink(compressedSessionPath);
  }
}
