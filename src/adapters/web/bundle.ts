import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/**
 * The agents' inbox (issue 21): a small Preact app under `web/`, bundled with esbuild's JS
 * API when the server starts — no separate dev server, nothing fetched at run time. Asset
 * names carry a hash of their content, so concurrent servers (test workers) writing the same
 * folder write identical files; each file is written aside and renamed into place.
 */
export interface WebBundle {
  /** The folder `@fastify/static` serves: `index.html` and `assets/<name>-<hash>.{js,css}`. */
  dir: string;
  /** Paths (from `dir`) of the bundle's own assets. */
  assets: string[];
}

/** `web/` of this checkout, from `src/adapters/web/` or `dist/src/adapters/web/`. */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../../../..']) {
    const candidate = path.resolve(here, up, 'web');
    if (existsSync(path.join(candidate, 'src', 'main.tsx'))) return candidate;
  }
  throw new Error(`the inbox's sources (web/src/main.tsx) are not found above ${here}`);
}

/** The tab's icon: a switchboard's plug on the page's accent colour (no request answered 404). */
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <rect width="32" height="32" rx="7" fill="#1d4ed8"/>
  <circle cx="11" cy="11" r="3.5" fill="#fff"/>
  <circle cx="21" cy="21" r="3.5" fill="#fff"/>
  <path d="M11 11 C 18 11, 14 21, 21 21" stroke="#fff" stroke-width="2.5" fill="none"/>
</svg>
`;

const indexHtml = (script: string, style: string | undefined) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Switchboard inbox</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
    ${style ? `<link rel="stylesheet" href="/${style}" />` : ''}
    <script type="module" src="/${script}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The Switchboard inbox needs JavaScript.</noscript>
  </body>
</html>
`;

function writeAtomically(file: string, contents: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const aside = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(aside, contents);
  renameSync(aside, file);
}

/** Bundles `web/src/main.tsx` (and the CSS it imports) into `<webRoot>/dist`. */
export function bundleWeb(options: { webRoot?: string; outDir?: string } = {}): WebBundle {
  const webRoot = options.webRoot ?? defaultWebRoot();
  const dir = options.outDir ?? path.join(webRoot, 'dist');
  const result = buildSync({
    entryPoints: [path.join(webRoot, 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: path.join(dir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const assets: string[] = [];
  for (const file of result.outputFiles) {
    writeAtomically(file.path, file.contents);
    assets.push(path.relative(dir, file.path).split(path.sep).join('/'));
  }
  const script = assets.find((a) => a.endsWith('.js'));
  if (!script) throw new Error('esbuild produced no script for the inbox');
  writeAtomically(path.join(dir, 'favicon.svg'), favicon);
  writeAtomically(
    path.join(dir, 'index.html'),
    indexHtml(
      script,
      assets.find((a) => a.endsWith('.css')),
    ),
  );
  return { dir, assets };
}
