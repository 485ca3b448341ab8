// Builds the console (src/console/main.tsx) into dist/console/: one script and one style sheet with hashed
// names, and the index.html that loads them (no inline script or style: the console's CSP allows neither).
// Run by `npm run build`; `node src/console/build.mjs` alone rebuilds only the console.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', '..', 'dist', 'console');

export async function buildConsole(out = outDir) {
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: join(here, 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
    platform: 'browser',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: join(out, 'assets'),
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((name) => /^app-.*\.js$/.test(name));
  const style = outputs.find((name) => /^app-.*\.css$/.test(name));
  if (!script || !style) throw new Error(`console build: missing outputs in ${outputs.join(', ')}`);
  await writeFile(join(out, 'index.html'), indexHtml(script, style));
  return { script, style };
}

function indexHtml(script, style) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex, nofollow">
<title>Latch console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/${style}">
<script type="module" src="/console/assets/${script}"></script>
</head>
<body>
<div id="app"><noscript>The Latch console needs JavaScript.</noscript></div>
</body>
</html>
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildConsole();
}
