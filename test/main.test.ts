import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The newcomer's path, end to end: `npm start` with no services and no environment runs an
 * embedded PostgreSQL under the data dir, serves /readyz, prints a platform token once, stops
 * cleanly on SIGTERM, and a second start finds the same data.
 */
const root = path.resolve(import.meta.dirname, '..');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    // Only what a newcomer's shell has: no DATABASE_URL or REDIS_URL even when CI sets them.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitReady(port: number, running: Running, ms = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (running.child.exitCode !== null) throw new Error(`server exited:\n${running.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready within ${ms} ms:\n${running.output()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function embeddedPort(output: string): number {
  const match = /"embeddedPostgresPort":(\d+)/.exec(output);
  if (!match?.[1]) throw new Error(`no embedded PostgreSQL port in:\n${output}`);
  return Number(match[1]);
}

async function query(dataDir: string, port: number, text: string): Promise<pg.QueryResult> {
  const password = (await readFile(path.join(dataDir, 'postgres.password'), 'utf8')).trim();
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'switchboard',
    password,
    database: 'switchboard',
  });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('npm start with nothing configured', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('serves /readyz on an embedded PostgreSQL, stops cleanly, and restarts onto the same data', async () => {
    const port = await freePort();
    const env = { SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' };

    // First start: creates the cluster, migrates, generates and prints the platform token.
    const first = start(env);
    const firstReadyMs = await waitReady(port, first);
    expect(firstReadyMs).toBeLessThan(60_000);
    const token = (await readFile(path.join(dataDir, 'platform-token'), 'utf8')).trim();
    expect(token).toMatch(/^sbp_[A-Za-z0-9_-]{40,}$/);
    expect(first.output()).toContain(token);
    expect(first.output()).toContain(`curl -sS -X POST http://localhost:${port}/v1/organizations`);
    expect(first.output()).toContain('database migrated: 0001-tenancy-and-people');
    const pgPort = embeddedPort(first.output());
    await query(
      dataDir,
      pgPort,
      `insert into organizations (id, name) values ('org_kept', 'Kept')`,
    );

    // A second server on the same data dir is refused while the first runs.
    const intruder = start({ ...env, PORT: String(await freePort()) });
    expect(await intruder.exited).not.toBe(0);
    expect(intruder.output()).toContain('another Switchboard');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Switchboard stopped');
    // PostgreSQL is gone too: its lock file is removed on a clean stop.
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    // Second start: same cluster, nothing to migrate, token not printed again, data kept.
    const second = start(env);
    await waitReady(port, second);
    expect(second.output()).toContain('database schema is up to date');
    expect(second.output()).not.toContain(token);
    const { rows } = await query(
      dataDir,
      embeddedPort(second.output()),
      `select name from organizations`,
    );
    expect(rows).toEqual([{ name: 'Kept' }]);

    // Killed outright, the server leaves its PostgreSQL child running; the next start stops
    // that orphan and takes the cluster over.
    second.child.kill('SIGKILL');
    await second.exited;
    const third = start(env);
    await waitReady(port, third);
    expect(third.output()).toContain('left running by an earlier Switchboard');
    third.child.kill('SIGINT');
    expect(await third.exited).toBe(0);
  }, 180_000);

  it('refuses to start on a malformed variable and names it', async () => {
    const running = start({ SWITCHBOARD_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(await running.exited).toBe(78);
    expect(running.output()).toMatch(/PORT: must be a whole number/);
  });
});
