import pg from 'pg';
import { createDatabase, migrateToLatest } from '../../src/adapters/db/database.js';
import { loadWorkspaceAccess, loadChatFacts } from '../../src/adapters/db/access/load-access.js';
import { buildPrincipal, allows } from '../../src/core/access/index.js';
import { insertBenchWorld, makeBenchWorld } from './world.js';
const n = Number(process.argv[2] ?? 100000);
const admin = new pg.Client({ connectionString: 'postgres://root@127.0.0.1:5432/postgres' });
await admin.connect(); await admin.query('drop database if exists sb_world with (force)'); await admin.query('create database sb_world'); await admin.end();
const { db } = createDatabase({ url: 'postgres://root@127.0.0.1:5432/sb_world', maxConnections: 4 });
await migrateToLatest(db);
let t = performance.now();
const world = makeBenchWorld(n, 'skewed');
console.log('generate', (performance.now() - t).toFixed(0), 'ms');
t = performance.now();
await insertBenchWorld(db, world);
console.log('insert', (performance.now() - t).toFixed(0), 'ms');
const facts = await loadWorkspaceAccess(db, world.facts.workspaceId);
let same = 0, diff = 0;
const sample = world.chats.filter((_, i) => i % 997 === 0);
const loaded = await loadChatFacts(db, world.facts.workspaceId, sample.map((c) => c.id));
const byId = new Map(loaded.map((c) => [c.id, c]));
for (const m of world.facts.members.filter((_, i) => i % 37 === 0)) {
  const a = buildPrincipal(world.facts, m.userId)!, b = buildPrincipal(facts, m.userId)!;
  for (const c of sample) { const x = allows(a, 'chat.view', c), y = allows(b, 'chat.view', byId.get(c.id)!); if (x === y) same++; else diff++; }
}
console.log({ same, diff });
for (const [k, u] of Object.entries(world.named)) {
  const p = buildPrincipal(world.facts, u)!;
  console.log(k, p.role, p.levels['chat.view'], world.chats.filter((c) => allows(p, 'chat.view', c)).length);
}
await db.destroy();
