import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundleWeb } from '../../src/adapters/web/bundle.js';

describe('the inbox bundle (web/)', () => {
  it('bundles to content-hashed assets that index.html references, with no inline script', async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'sb-web-'));
    try {
      const first = bundleWeb({ outDir });
      const again = bundleWeb({ outDir });
      expect(again.assets).toEqual(first.assets);
      expect(first.assets.some((a) => /^assets\/main-[A-Z0-9]{8}\.js$/.test(a))).toBe(true);
      expect(first.assets.some((a) => /^assets\/main-[A-Z0-9]{8}\.css$/.test(a))).toBe(true);
      const html = await readFile(path.join(outDir, 'index.html'), 'utf8');
      for (const asset of first.assets) expect(html).toContain(`/${asset}`);
      // The tab's icon is served from the bundle, so no browser asks for a missing /favicon.ico.
      expect(html).toContain('<link rel="icon" href="/favicon.svg"');
      expect(await readFile(path.join(outDir, 'favicon.svg'), 'utf8')).toMatch(/^<svg /);
      expect(html).not.toMatch(/<script>|<script type="module">|style=/);
      // Written aside and renamed into place: nothing half-written is left behind.
      expect(
        (await readdir(path.join(outDir, 'assets'))).filter((f) => f.endsWith('.tmp')),
      ).toEqual([]);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it('typechecks under web/tsconfig.json (DOM and Preact JSX; the root typecheck does not cover web/)', async () => {
    const tsc = path.resolve('node_modules/typescript/bin/tsc');
    const run = promisify(execFile);
    const result = await run(process.execPath, [tsc, '-p', 'web/tsconfig.json']).then(
      () => '',
      (error: { stdout?: string; message?: string }) =>
        error.stdout || (error.message ?? 'tsc failed'),
    );
    expect(result).toBe('');
  });
});
