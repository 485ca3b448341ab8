/**
 * The image (Dockerfile) installs `dependencies` only (npm ci --omit=dev): every package the server imports at run
 * time must be one of them, or `latch start` fails in production with ERR_MODULE_NOT_FOUND (openid-client once was
 * a devDependency, imported by federation). The console is bundled at build time, so its imports do not count.
 */
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SKIP = [/\.test\.ts$/, /test-helpers\.ts$/, /^storage\/contract\//, /^console\//];

async function sources(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(...(await sources(join(dir, entry.name), `${relative}/`)));
    else if (relative.endsWith('.ts') && !SKIP.some((re) => re.test(relative))) out.push(relative);
  }
  return out;
}

it('every package the server imports at run time is a production dependency', async () => {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const missing = new Set<string>();
  for (const file of await sources(join(ROOT, 'src'))) {
    const text = await readFile(join(ROOT, 'src', file), 'utf8');
    // Static imports and re-exports (not `import type`), dynamic imports, and require.resolve of a package.
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm),
      ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g),
      ...text.matchAll(/\.resolve\(\s*'([^'.][^']*)'\s*\)/g),
    ].map((m) => m[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
      if (!(name in manifest.dependencies)) missing.add(`${name} (src/${file})`);
    }
  }
  expect([...missing]).toEqual([]);
});

it('the Dockerfile copies files that exist, among them every file of src/ the server reads at run time', async () => {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  for (const path of copied) await expect(readFile(join(ROOT, path)).then(() => true, (err: NodeJS.ErrnoException) => err.code === 'EISDIR'), path).resolves.toBe(true);
  const readAtRunTime = new Set<string>();
  for (const file of await sources(join(ROOT, 'src'))) {
    const text = await readFile(join(ROOT, 'src', file), 'utf8');
    for (const m of text.matchAll(/new URL\('(?:\.\.\/)+(src\/[^']+)'/g)) readAtRunTime.add(m[1]!);
  }
  expect(readAtRunTime.size).toBeGreaterThan(0);
  for (const path of readAtRunTime) expect(copied, path).toContain(path);
});
