import { checkWorkload } from './check.js';
import { makeBenchWorld, type WorldMode } from './world.js';

/**
 * `npx tsx bench/suite/check-smoke.ts [skewed|uniform] [chats]`: the Check workload on a small
 * world with short timings, to see it work. Prints the rows as a table and the details as JSON.
 * With `npx tsx --expose-gc …` the CASL subjects' memory is measured around a garbage collection.
 */
const mode: WorldMode = process.argv[2] === 'uniform' ? 'uniform' : 'skewed';
const chatCount = Number(process.argv[3] ?? 100_000);

const started = performance.now();
const world = makeBenchWorld(chatCount, mode);
const { rows, details } = await checkWorkload(world, { seconds: 0.5 });

const format = (value: number) =>
  value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
console.table(
  rows.map((row) => ({
    workload: row.workload,
    value: `${format(row.value)} ${row.figure}`,
    target: row.target,
    met: row.met ? 'yes' : 'NO',
  })),
);
console.log(JSON.stringify(details, null, 2));
console.log(
  `mode ${mode}, ${chatCount} chats: ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
