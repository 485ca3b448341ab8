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
    // How long expect.poll waits for a page or a server to get there: patience for a loaded 2-core CI machine (a key
    // rotation generates RSA keys), not a timing target (those live in bench/).
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    // Servers started by tests (and the processes they spawn) serve no metrics unless a test asks: the listener's
    // fixed default port (127.0.0.1:9464) would collide between them.
    env: { LATCH_METRICS_ADDRESS: 'off' },
    reporters: ['default'],
  },
});
