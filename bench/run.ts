import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, migrateToLatest } from '../src/adapters/db/database.js';
import { startEmbeddedPostgres } from '../src/adapters/db/embedded-postgres.js';
import { ingestWorkload } from './ingest.js';
import { revokeWorkload } from './revoke.js';
import { createScratchDatabase } from './scratch.js';
import { suiteRows, type Row } from './suite/suite.js';
import type { Database } from '../src/adapters/db/database.js';

/**
 * `npm run bench`: Switchboard's workloads with their targets, on DATABASE_URL (a fresh
 * database is created there) or an embedded PostgreSQL. Prints a table and writes JSON to
 * bench/results/. Where a target is missed, it says so.
 */
const full = process.argv.includes('--full');
/** `npm run bench -- ingest` runs one workload; no name runs them all. */
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (workload: string) => named.length === 0 || named.includes(workload);

async function main() {
  let stop: (() => Promise<void>) | undefined;
  let tmp: string | undefined;
  let url = process.env.DATABASE_URL;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (url) {
    // Never touch the given database: create a scratch one beside it.
    const scratch = await createScratchDatabase(url, 'sb_bench');
    dropDatabase = scratch.drop;
    url = scratch.url;
  } else {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-'));
    const embedded = await startEmbeddedPostgres({
      dataDir: tmp,
      log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    });
    stop = () => embedded.stop();
    url = embedded.url;
  }
  const { db } = createDatabase({ url, maxConnections: 4 });
  await migrateToLatest(db);
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  try {
    if (wanted('ingest')) {
      const ingest = await ingestWorkload(url, {
        messages: full ? 200_000 : 50_000,
        concurrency: Number(process.env.BENCH_SENDERS ?? 256),
        chats: 5_000,
      });
      rows.push(
        {
          workload: 'ingest (signed webhooks over HTTP)',
          figure: 'msg/s',
          value: ingest.messagesPerSecond,
          target: '≥ 5,000',
          met: ingest.messagesPerSecond >= 5_000,
        },
        {
          workload: 'ingest → visible p50',
          figure: 'ms',
          value: ingest.p50Ms,
          target: '—',
          met: true,
        },
        {
          workload: 'ingest → visible p99',
          figure: 'ms',
          value: ingest.p99Ms,
          target: '< 250 ms',
          met: ingest.p99Ms < 250,
        },
        {
          workload: 'newest chats found in the Owner’s list',
          figure: `of ${ingest.sampleChecked}`,
          value: ingest.sampleVisible,
          target: 'all',
          met: ingest.sampleVisible === ingest.sampleChecked,
        },
      );
    }
    if (wanted('revoke')) await revokeRows(db, rows);
    if (wanted('suite')) {
      const suite = await suiteRows(url, {
        full,
        log: (line) => process.stdout.write(`${line}\n`),
      });
      rows.push(...suite.rows);
      details.suite = suite.details;
    }
  } finally {
    await db.destroy();
    await dropDatabase?.();
    await stop?.();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map((r) => r.workload.length));
  process.stdout.write(`\n${'workload'.padEnd(width)}  ${'value'.padStart(12)}  target\n`);
  for (const r of rows) {
    const value =
      r.figure === 'ms'
        ? `${r.value.toFixed(2)} ms`
        : r.figure.startsWith('×')
          ? `${r.value.toFixed(1)} ${r.figure}`
          : `${Math.round(r.value).toLocaleString('en')} ${r.figure}`;
    process.stdout.write(
      `${r.workload.padEnd(width)}  ${value.padStart(12)}  ${r.target}${r.met ? '' : '   ← TARGET MISSED'}\n`,
    );
  }
  await mkdir(path.resolve('bench/results'), { recursive: true });
  const file = path.resolve(
    'bench/results',
    `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  await writeFile(
    file,
    JSON.stringify(
      { at: new Date().toISOString(), machine: `${os.cpus().length} cores`, full, rows, details },
      null,
      2,
    ),
  );
  process.stdout.write(`\nwritten to ${path.relative(process.cwd(), file)}\n`);
}

async function revokeRows(db: Database, rows: Row[]) {
  // The default (one lane), then two lanes side by side for comparison.
  for (const lanes of [1, 2]) {
    const label = lanes === 1 ? '' : `, ${lanes} lanes`;
    const revoke = await revokeWorkload(db, 100_000, { batchSize: 5_000, heir: false, lanes });
    rows.push(
      {
        workload: `revoke (100k chats → unassigned${label})`,
        figure: 'chats/s',
        value: revoke.chatsPerSecond,
        target: '≥ 50,000',
        met: revoke.chatsPerSecond >= 50_000,
      },
      {
        workload: `  list p99 idle (Agent, page 1)`,
        figure: 'ms',
        value: revoke.listIdleP99Ms,
        target: '—',
        met: true,
      },
      {
        workload: `  list p99 during revoke${label}`,
        figure: 'ms',
        value: revoke.listDuringP99Ms,
        target: `≤ 2× idle (${(2 * revoke.listIdleP99Ms).toFixed(2)})`,
        met: revoke.listDuringP99Ms <= 2 * revoke.listIdleP99Ms,
      },
    );
  }
  const heir = await revokeWorkload(db, 100_000, { batchSize: 5_000, heir: true, lanes: 1 });
  rows.push({
    workload: 'revoke (100k chats → heir, every chat)',
    figure: 'chats/s',
    value: heir.chatsPerSecond,
    target: '≥ 50,000',
    met: heir.chatsPerSecond >= 50_000,
  });
}

void main();
