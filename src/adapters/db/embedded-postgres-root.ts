import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { StartupError, cannotWrite } from '../local/startup-error.js';
import { binary, type PostgresBinaries, type PostgresLog, type RunAs } from './postgres-process.js';

/**
 * Running the embedded default as root (containers, VMs, CI). PostgreSQL refuses to run as
 * root, so it runs as the system user `postgres` (created when missing), who must be able to
 * reach its programs and its cluster. A clone in a home folder only root may enter (`/root`,
 * mode 0700) hides both: then the programs are copied once to
 * `<systemDir>/postgresql-<version>/` and the cluster is kept in
 * `<systemDir>/clusters/<data-dir>-<hash>/`, with the symlink `<dataDir>/postgres` pointing
 * there, so the data dir still shows where its database is. The rest of the data dir (the
 * password, the platform token, the lock) stays where it was: only root reads it.
 */
export const DEFAULT_SYSTEM_DIR = '/var/lib/switchboard';

const run = promisify(execFile);

/** The `postgres` system user's ids; the user and its group are created if missing. */
export async function postgresSystemUser(): Promise<RunAs> {
  const ids = async (): Promise<RunAs> => {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', 'postgres']),
      run('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    // not there yet
  }
  try {
    await run('groupadd', ['--system', 'postgres']).catch((error: unknown) => {
      // 9: the group exists already (a user was removed, its group kept).
      if ((error as { code?: unknown }).code !== 9) throw error;
    });
    await run('useradd', [
      '--system',
      '--gid',
      'postgres',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    return await ids();
  } catch (error) {
    throw new StartupError(
      'running as root, the embedded PostgreSQL needs a system user "postgres" to run as, ' +
        `and it could not be created: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      'Create it (`useradd --system postgres`), run Switchboard as another user, or set DATABASE_URL',
      { cause: error },
    );
  }
}

/**
 * Whether `user` may do `test` on `target` (`-x`: reach and run or enter it), asked of the
 * kernel by a shell running as that user: the whole path, ACLs and all, is checked.
 */
export function userCan(user: RunAs, test: '-x' | '-r' | '-w', target: string): boolean {
  const result = spawnSync('/bin/sh', ['-c', `test ${test} "$1"`, 'sh', target], {
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
    timeout: 10_000,
  });
  return result.status === 0;
}

export interface RootLayout {
  binaries: PostgresBinaries;
  /** The cluster's real folder (never a symlink). */
  clusterDir: string;
}

/** Where PostgreSQL's programs and cluster live so that `user` can reach them. */
export async function reachableLayout(options: {
  binaries: PostgresBinaries;
  dataDir: string;
  systemDir: string;
  user: RunAs;
  log: PostgresLog;
}): Promise<RootLayout> {
  const { user, log } = options;
  let binaries = options.binaries;
  if (!userCan(user, '-x', binary(binaries, 'postgres'))) {
    binaries = await stageBinaries(binaries, options.systemDir, log);
    if (!userCan(user, '-x', binary(binaries, 'postgres'))) {
      throw new StartupError(
        `the user "postgres" cannot run PostgreSQL's programs, even copied to ${binaries.dir}`,
        `Make ${options.systemDir} and its parents traversable (chmod o+x), or set DATABASE_URL`,
      );
    }
  }
  return { binaries, clusterDir: await placeCluster(options) };
}

/** Copies the programs once to a folder every user may read; later starts reuse the copy. */
async function stageBinaries(
  binaries: PostgresBinaries,
  systemDir: string,
  log: PostgresLog,
): Promise<PostgresBinaries> {
  const target = path.join(systemDir, `postgresql-${binaries.version}`);
  const done = path.join(target, '.complete');
  if (existsSync(done)) return { ...binaries, dir: target };
  log.info(`the user "postgres" cannot reach ${binaries.dir}: copying PostgreSQL to ${target}`);
  const partial = `${target}.partial-${process.pid}`;
  try {
    await mkdir(systemDir, { recursive: true, mode: 0o755 });
    await chmod(systemDir, 0o755);
    await rm(partial, { recursive: true, force: true });
    await cp(binaries.dir, partial, { recursive: true, verbatimSymlinks: true });
    await openUp(partial);
    await writeFile(path.join(partial, '.complete'), `${binaries.dir}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    cannotWrite(`a copy of PostgreSQL's programs in ${target}`, systemDir)(error);
  }
  return { ...binaries, dir: target };
}

/** Folders 755, files readable by all (executables stay executable): a copy root made. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await openUp(full);
    else await chmod(full, ((await stat(full)).mode & 0o777) | 0o444);
  }
}

/**
 * The cluster stays in `<dataDir>/postgres` when `user` can reach the data dir; otherwise it
 * lives under the system dir, and `<dataDir>/postgres` is a symlink to it. A symlink a person
 * made is followed as it is.
 */
async function placeCluster(options: {
  dataDir: string;
  systemDir: string;
  user: RunAs;
  log: PostgresLog;
}): Promise<string> {
  const { dataDir, systemDir, user } = options;
  const link = path.join(dataDir, 'postgres');
  const existing = await lstat(link).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = path.resolve(dataDir, await readlink(link));
    if (!existsSync(target)) {
      await mkdir(target, { recursive: true, mode: 0o700 });
      await chown(target, user.uid, user.gid);
    }
    return realpath(target);
  }
  // PostgreSQL must pass through the data dir to reach its cluster (the secrets in it stay 600).
  const { mode } = await stat(dataDir);
  if ((mode & 0o011) !== 0o011) await chmod(dataDir, mode | 0o011);
  if (userCan(user, '-x', dataDir)) return link;

  if (existing && existsSync(path.join(link, 'PG_VERSION'))) {
    throw new StartupError(
      `the user "postgres" cannot reach the cluster in ${link} (a parent folder is closed to it)`,
      `Move that folder to a place "postgres" can reach and leave a symlink at ${link}, or open its parents (chmod o+x)`,
    );
  }
  // A folder left by an initdb that could not run here holds nothing.
  if (existing) await rm(link, { recursive: true, force: true });

  const real = await realpath(dataDir);
  const name = path.basename(real).replace(/^\.+/, '') || 'switchboard';
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 12);
  const clusterDir = path.join(systemDir, 'clusters', `${name}-${hash}`);
  options.log.info(
    `the user "postgres" cannot reach ${dataDir}: its PostgreSQL cluster lives in ${clusterDir} (${link} points there)`,
  );
  // No symlink, yet a cluster of this path: it belonged to a data dir deleted since (a clone
  // removed and made again), whose password went with it. Kept aside, never reused or removed.
  if (existsSync(clusterDir)) {
    const aside = `${clusterDir}.left-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(clusterDir, aside).catch(
      cannotWrite(`the embedded PostgreSQL cluster ${clusterDir}`, systemDir),
    );
    options.log.warn(
      `${clusterDir} belonged to an earlier ${dataDir} (deleted since): moved to ${aside}; a new cluster is made`,
    );
  }
  try {
    await mkdir(path.join(systemDir, 'clusters'), { recursive: true, mode: 0o755 });
    await chmod(systemDir, 0o755);
    await chmod(path.join(systemDir, 'clusters'), 0o755);
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    await chown(clusterDir, user.uid, user.gid);
    await symlink(clusterDir, link);
  } catch (error) {
    cannotWrite(`the embedded PostgreSQL cluster ${clusterDir}`, systemDir)(error);
  }
  return clusterDir;
}
