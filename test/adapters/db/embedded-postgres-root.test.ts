import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../src/adapters/db/embedded-postgres.js';
import type { PostgresBinaries } from '../../../src/adapters/db/postgres-process.js';
import { StartupError } from '../../../src/adapters/local/startup-error.js';

/**
 * The embedded default as root from a folder only root may enter (a clone in `/root`, mode
 * 0700): PostgreSQL runs as `postgres`, who can reach neither the programs npm installed
 * there nor the data dir. Here both sit in such a folder: the programs are copied to the
 * system dir and the cluster kept there, behind a symlink in the data dir; a second start
 * finds the same data. Only root can run PostgreSQL as another user, so these run as root
 * (CI does); as anyone else they are reported skipped.
 */
const asRoot = process.getuid?.() === 0;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

function installedNative(): string {
  const require = createRequire(import.meta.url);
  const entry = createRequire(require.resolve('embedded-postgres')).resolve(
    `@embedded-postgres/${os.platform()}-${os.arch()}`,
  );
  return path.join(path.dirname(path.dirname(entry)), 'native');
}

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe.skipIf(!asRoot)('the embedded PostgreSQL as root, from a folder closed to others', () => {
  let home = '';
  let systemDir = '';
  let binaries: PostgresBinaries;
  let dataDir = '';

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'sb-root-home-')); // mode 0700, like /root
    systemDir = await mkdtemp(path.join(os.tmpdir(), 'sb-system-'));
    const native = path.join(home, 'clone', 'node_modules', 'native');
    await cp(installedNative(), native, { recursive: true, verbatimSymlinks: true });
    binaries = { dir: native, version: `test-${path.basename(systemDir)}` };
    dataDir = path.join(home, 'clone', '.switchboard');
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(systemDir, { recursive: true, force: true });
  });

  it('the home folder is closed to everyone but root', async () => {
    expect((await stat(home)).mode & 0o777).toBe(0o700);
  });

  it('starts: programs copied to the system dir, the cluster kept there behind a symlink', async () => {
    const db = await startEmbeddedPostgres({ dataDir, systemDir, binaries, log: quiet });
    try {
      const staged = path.join(systemDir, `postgresql-${binaries.version}`);
      expect((await stat(path.join(staged, 'bin', 'postgres'))).mode & 0o555).toBe(0o555);
      const link = path.join(dataDir, 'postgres');
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await readlink(link)).toBe(db.clusterDir);
      expect(db.clusterDir.startsWith(path.join(systemDir, 'clusters', 'switchboard-'))).toBe(true);
      const cluster = await stat(db.clusterDir);
      expect(cluster.uid).not.toBe(0); // owned by postgres
      expect(cluster.mode & 0o777).toBe(0o700);

      const who = await query(
        db.url,
        'select current_user, current_setting($$data_directory$$) as dir',
      );
      expect(who.rows[0]).toEqual({ current_user: 'switchboard', dir: db.clusterDir });
      await query(db.url, 'create table kept (note text); insert into kept values ($$hello$$)');
      // The password and the lock stay in the data dir, for root alone.
      expect((await stat(path.join(dataDir, 'postgres.password'))).mode & 0o777).toBe(0o600);
    } finally {
      await db.stop();
    }
  });

  it('a second start finds the same cluster and data', async () => {
    const db = await startEmbeddedPostgres({ dataDir, systemDir, binaries, log: quiet });
    try {
      expect((await query(db.url, 'select note from kept')).rows).toEqual([{ note: 'hello' }]);
    } finally {
      await db.stop();
    }
  });

  it('a data dir deleted and made again at the same path gets a new cluster; the old one is kept aside', async () => {
    const warnings: string[] = [];
    const log = { ...quiet, warn: (message: string) => void warnings.push(message) };
    const again = path.join(home, 'recloned', '.switchboard');
    const first = await startEmbeddedPostgres({ dataDir: again, systemDir, binaries, log });
    await query(first.url, 'create table kept (note text)');
    await first.stop();
    // The clone is removed (its password with it) and cloned again to the same folder.
    await rm(path.join(home, 'recloned'), { recursive: true, force: true });
    const second = await startEmbeddedPostgres({ dataDir: again, systemDir, binaries, log });
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      expect((await query(second.url, "select to_regclass('kept') as t")).rows).toEqual([
        { t: null },
      ]);
      const aside = /moved to (\S+);/.exec(warnings.join('\n'))?.[1] ?? '';
      expect(aside.startsWith(`${first.clusterDir}.left-`)).toBe(true);
      expect(existsSync(path.join(aside, 'PG_VERSION'))).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('a cluster PostgreSQL cannot use stops start-up with its reason and what to do', async () => {
    const broken = path.join(home, 'broken', '.switchboard');
    await mkdir(path.join(broken, 'postgres'), { recursive: true });
    // A cluster made in place by hand, in a folder postgres cannot reach.
    await writeFile(path.join(broken, 'postgres', 'PG_VERSION'), '18\n');
    const error = await startEmbeddedPostgres({
      dataDir: broken,
      systemDir,
      binaries,
      log: quiet,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).problem).toContain(
      `the user "postgres" cannot reach the cluster in ${path.join(broken, 'postgres')}`,
    );
    expect((error as StartupError).remedy).toMatch(/Move that folder/);
  });

  it("PostgreSQL's own refusal is named: a cluster of another version", async () => {
    const other = path.join(home, 'other', '.switchboard');
    const db = await startEmbeddedPostgres({ dataDir: other, systemDir, binaries, log: quiet });
    await db.stop();
    await writeFile(path.join(db.clusterDir, 'PG_VERSION'), '11\n');
    const error = await startEmbeddedPostgres({
      dataDir: other,
      systemDir,
      binaries,
      log: quiet,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).message).toMatch(
      /did not start: database files are incompatible with server.*another PostgreSQL version/,
    );
    expect((error as StartupError).message).not.toContain('\n');
  });
});
