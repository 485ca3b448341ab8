// Builds the console (src/console/main.tsx) into dist/console/: one script and one style sheet with hashed
// names, and the index.html that loads them (no inline script or style: the console's CSP allows neither).
// Run by `npm run build`; `node src/console/build.mjs` alone rebuilds only the console.
import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', '..', 'dist', 'console');

/** Writes through a temporary file and a rename, so that a server (or a test) reading it never sees half a file. */
async function writeAtomically(path, contents) {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, contents);
  await rename(temp, path);
}

const exists = (path) => access(path).then(() => true, () => false);

/**
 * Builds without ever removing what a running server serves: hashed names change with the content, an existing file
 * of the same name is the same file, and index.html is replaced in one rename. Files of older builds are pruned
 * after ten minutes.
 */
export async function buildConsole(out = outDir) {
  const assets = join(out, 'assets');
  await mkdir(assets, { recursive: true });
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
    write: false,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) {
    if (!(await exists(file.path))) await writeAtomically(file.path, file.contents);
  }
  const outputs = result.outputFiles.map((f) => basename(f.path));
  const script = outputs.find((name) => /^app-.*\.js$/.test(name));
  const style = outputs.find((name) => /^app-.*\.css$/.test(name));
  if (!script || !style) throw new Error(`console build: missing outputs in ${outputs.join(', ')}`);
  await writeAtomically(join(out, 'index.html'), indexHtml(script, style));
  const stale = Date.now() - 10 * 60_000;
  for (const name of await readdir(assets)) {
    if (outputs.includes(name)) continue;
    const path = join(assets, name);
    if ((await stat(path)).mtimeMs < stale) await rm(path, { force: true });
  }
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
