import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every source file `entry` reaches through relative imports (type-only imports included). */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) visit(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')));
  };
  visit(entry);
  return [...seen].map((file) => relative(src, file));
}

describe('latch/resource-server', () => {
  it("depends on nothing of Latch's but its own files and the DPoP proof checks: no store, no HTTP adapter", () => {
    const files = reachable(resolve(src, 'resource-server/index.ts'));
    expect(files).toContain('core/dpop/proof.ts');
    expect(files.filter((file) => !file.startsWith('resource-server/') && !file.startsWith('core/dpop/'))).toEqual([]);
  });
});
