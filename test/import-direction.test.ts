import path from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import { describe, expect, it } from 'vitest';

/**
 * The import-direction rule (`npm run check:imports`) is only worth something if it fires:
 * run the project's own rule set on a fixture tree where the core breaks it in every way.
 */
const root = path.resolve(import.meta.dirname, '..');
const fixture = path.join(root, 'test/fixtures/import-direction');

describe('import direction', () => {
  it('fails a core file that imports a driver, type-only included, or an adapter, a Slack command with its own query and a route listing chats without a read use case; passes a pure one', async () => {
    const config = await extractDepcruiseConfig(path.join(root, '.dependency-cruiser.cjs'));
    const previous = process.cwd();
    process.chdir(fixture);
    let result: ICruiseResult;
    try {
      const reporterOutput = await cruise(['src'], {
        validate: true,
        ruleSet: { forbidden: config.forbidden ?? [] },
        tsPreCompilationDeps: true,
        doNotFollow: { path: 'node_modules' },
      });
      result = reporterOutput.output as ICruiseResult;
    } finally {
      process.chdir(previous);
    }
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from}`).sort();
    expect(violations).toEqual([
      'adapters-of-people-read-through-use-cases: src/adapters/http/routes/lists-chats-itself.ts',
      'adapters-of-people-run-no-queries: src/adapters/slack/runs-a-query.ts',
      'core-imports-no-adapters-or-jobs: src/core/uses-adapter.ts',
      'core-imports-no-drivers: src/core/uses-kysely-types.ts',
      'core-imports-no-drivers: src/core/uses-pg.ts',
    ]);
  });
});
