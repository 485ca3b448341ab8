import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { memoryReplayCache } from '../resource-server/replay-cache.js';
import type { Store } from '../storage/types.js';
import { dpopVerifierOptions } from './dpop.js';

const store = { replay: memoryReplayCache() } as unknown as Store;

describe('LATCH_DPOP_NONCE and LATCH_DPOP_IAT_WINDOW', () => {
  it('nonces are off by default; the iat window is 60 s, at most 600', () => {
    const config = loadConfig({});
    expect(config.dpopNonce).toBe(false);
    expect(config.dpopIatWindow).toBe(60);
    expect(dpopVerifierOptions({ config, store, refreshSuccessorKey: randomBytes(32) }).nonces).toBeUndefined();
    expect(loadConfig({ LATCH_DPOP_IAT_WINDOW: '600' }).dpopIatWindow).toBe(600);
    expect(() => loadConfig({ LATCH_DPOP_IAT_WINDOW: '601' })).toThrow(/LATCH_DPOP_IAT_WINDOW/);
    expect(() => loadConfig({ LATCH_DPOP_NONCE: 'sometimes' })).toThrow(/LATCH_DPOP_NONCE/);
  });

  it("with nonces on, instances with the same secret accept each other's nonces, others do not", () => {
    const config = loadConfig({ LATCH_DPOP_NONCE: 'true' });
    const key = randomBytes(32);
    const a = dpopVerifierOptions({ config, store, refreshSuccessorKey: key }).nonces!;
    const b = dpopVerifierOptions({ config, store, refreshSuccessorKey: Buffer.from(key) }).nonces!;
    const c = dpopVerifierOptions({ config, store, refreshSuccessorKey: randomBytes(32) }).nonces!;
    const now = 1_900_000_000;
    expect(b.accepts(a.current(now), now)).toBe(true);
    expect(c.accepts(a.current(now), now)).toBe(false);
  });
});
