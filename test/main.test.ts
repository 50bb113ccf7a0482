import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startMain, waitReady } from './support/main-process.js';

/**
 * The newcomer's path, end to end: `npm start` with no services and no environment runs an
 * embedded PostgreSQL under the data dir, serves /readyz, prints a platform token once, stops
 * cleanly on SIGTERM, and a second start finds the same data.
 */

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
    const first = startMain(env);
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
    const intruder = startMain({ ...env, PORT: String(await freePort()) });
    expect(await intruder.exited).not.toBe(0);
    expect(intruder.errors()).toMatch(
      /^Switchboard could not start: another Switchboard \(pid \d+\) is running with the data dir .*\. Stop it, or set SWITCHBOARD_DATA_DIR to another folder\n$/,
    );

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Switchboard stopped');
    // PostgreSQL is gone too: its lock file is removed on a clean stop.
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    // Second start: same cluster, nothing to migrate, token not printed again, data kept.
    const second = startMain(env);
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
    const third = startMain(env);
    await waitReady(port, third);
    expect(third.output()).toContain('left running by an earlier Switchboard');
    third.child.kill('SIGINT');
    expect(await third.exited).toBe(0);
  }, 180_000);

  it('with the two Slack secrets set, answers a signed help with usage; without them there is no /slack/events', async () => {
    const port = await freePort();
    const env = { SWITCHBOARD_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' };
    const plain = startMain(env);
    await waitReady(port, plain);
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' })).status).toBe(
      404,
    );
    plain.child.kill('SIGTERM');
    expect(await plain.exited).toBe(0);

    const secret = 'a-signing-secret-from-slack';
    const withSlack = startMain({
      ...env,
      SLACK_SIGNING_SECRET: secret,
      SLACK_BOT_TOKEN: 'xoxb-0000-not-a-real-token',
      // Nothing listens there: help must not need Slack's Web API.
      SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/`,
    });
    await waitReady(port, withSlack);
    const raw = new URLSearchParams({
      team_id: 'T0FIRST',
      user_id: 'U0FIRST',
      command: '/switchboard',
      text: 'help',
      response_url: 'http://127.0.0.1:9/unused',
    }).toString();
    const at = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', secret).update(`v0:${at}:${raw}`).digest('hex');
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': `v0=${signature}`,
    };
    const help = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers,
      body: raw,
    });
    expect(help.status).toBe(200);
    const body = (await help.json()) as { response_type: string; text: string; blocks: unknown[] };
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain('/switchboard revoke');
    const forged = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { ...headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` },
      body: raw,
    });
    expect(forged.status).toBe(401);
    withSlack.child.kill('SIGTERM');
    expect(await withSlack.exited).toBe(0);
  }, 120_000);

  it('a data dir it cannot use stops it with one line saying why and what to do', async () => {
    const notAFolder = path.join(dataDir, 'platform-token'); // a file, from the test above
    const running = startMain({ SWITCHBOARD_DATA_DIR: notAFolder, PORT: String(await freePort()) });
    expect(await running.exited).toBe(1);
    expect(running.errors()).toMatch(
      new RegExp(
        `^Switchboard could not start: the data dir ${notAFolder} cannot be written: [^\\n]*(ENOTDIR|EEXIST)[^\\n]*\\. [^\\n]+\\n$`,
      ),
    );
    expect(running.output()).not.toMatch(/\n\s+at /); // no stack trace anywhere
    expect(running.output()).not.toContain('Unhandled');
  });

  it('refuses to start on a malformed variable and names it', async () => {
    const running = startMain({ SWITCHBOARD_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(await running.exited).toBe(78);
    expect(running.output()).toMatch(/PORT: must be a whole number/);
  });
});
