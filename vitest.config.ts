import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Examples import the package export `latch/resource-server`; tests run them against the sources, not dist/.
    alias: [{ find: /^latch\/resource-server(\/.*)?$/, replacement: `${fileURLToPath(new URL('./src/resource-server', import.meta.url))}$1` }],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
