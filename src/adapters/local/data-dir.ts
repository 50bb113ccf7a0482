import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../db/embedded-postgres.js';
import { StartupError, cannotWrite } from './startup-error.js';

/**
 * The data dir (`SWITCHBOARD_DATA_DIR`) holds what the embedded default keeps on this
 * machine: the PostgreSQL cluster, its password and the generated platform token.
 */

/** Claims the data dir for this process, so two servers never share one embedded cluster. */
export async function lockDataDir(dataDir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true, mode: 0o755 }).catch(
    cannotWrite(`the data dir ${dataDir}`, dataDir),
  );
  const lockFile = path.join(dataDir, 'switchboard.pid');
  if (existsSync(lockFile)) {
    const pid = Number((await readFile(lockFile, 'utf8')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new StartupError(
        `another Switchboard (pid ${pid}) is running with the data dir ${dataDir}`,
        'Stop it, or set SWITCHBOARD_DATA_DIR to another folder',
      );
    }
  }
  await writeFile(lockFile, `${process.pid}\n`).catch(
    cannotWrite(`the data dir ${dataDir}`, dataDir),
  );
  return {
    async release() {
      const pid = await readFile(lockFile, 'utf8').catch(() => '');
      if (Number(pid.trim()) === process.pid) await rm(lockFile, { force: true });
    },
  };
}

/**
 * The platform token of an embedded install: generated on first start, kept in the data
 * dir (mode 600). `created` is true only the first time, so it is printed once.
 */
export async function loadOrCreatePlatformToken(
  dataDir: string,
): Promise<{ token: string; file: string; created: boolean }> {
  const file = path.join(dataDir, 'platform-token');
  if (existsSync(file)) {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 32) return { token, file, created: false };
  }
  const token = `sbp_${randomBytes(32).toString('base64url')}`;
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}
