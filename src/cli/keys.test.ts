import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from './test-helpers.js';

interface KeyJson {
  kid: string;
  alg: string;
  state: string;
  created_at: number;
}

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-keys-'));
  env = { LATCH_DATA_DIR: dataDir, LATCH_KEY_ALGORITHMS: 'RS256,ES256' };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[]) => runLatch(argv, { env });

describe('latch keys', () => {
  it('list is empty before any key exists; rotate creates them; rotate again moves next -> active -> retired', async () => {
    const empty = await latch(['keys', 'list']);
    expectCode(empty, 0);
    expect(empty.stdout).toMatch(/No signing keys yet/);
    expect((await latch(['keys', 'list', '--json'])).json()).toEqual({ keys: [] });

    const first = await latch(['keys', 'rotate', '--json']);
    expectCode(first, 0);
    const r1 = first.json<{ activated: string[]; retired: string[]; created: string[]; pruned: string[] }>();
    expect(r1.activated).toHaveLength(2);
    expect(r1.retired).toEqual([]);
    expect(r1.created).toHaveLength(4);

    const keys1 = (await latch(['keys', 'list', '--json'])).json<{ keys: KeyJson[] }>().keys;
    expect(keys1.map((k) => `${k.alg}:${k.state}`).sort()).toEqual(['ES256:active', 'ES256:next', 'RS256:active', 'RS256:next']);
    const next = keys1.filter((k) => k.state === 'next').map((k) => k.kid);
    const active = keys1.filter((k) => k.state === 'active').map((k) => k.kid);

    const second = await latch(['keys', 'rotate']);
    expectCode(second, 0);
    expect(second.stdout).toMatch(/Rotated signing keys/);
    // The next keys were published only now: relying parties caching the JWKS may not know them yet.
    for (const kid of next) expect(second.stderr).toMatch(new RegExp(`warning: ${kid} \\(\\w+\\) was published as next only \\d+ s ago`));
    for (const kid of next) expect(second.stdout).toContain(kid);

    const keys2 = (await latch(['keys', 'list', '--json'])).json<{ keys: KeyJson[] }>().keys;
    for (const kid of active) expect(keys2.find((k) => k.kid === kid)?.state).toBe('retired');
    for (const kid of next) expect(keys2.find((k) => k.kid === kid)?.state).toBe('active');
    expect(keys2.filter((k) => k.state === 'next')).toHaveLength(2);

    const text = await latch(['keys', 'list']);
    expect(text.stdout).toMatch(/KID\s+ALG\s+STATE\s+CREATED/);
    expect(text.stdout).toMatch(/retired/);
    expect(text.stdout).toMatch(/\d{4}-\d{2}-\d{2}T/);

    // With --json the warnings are in the answer, and stderr stays empty.
    const third = await latch(['keys', 'rotate', '--json']);
    expectCode(third, 0);
    expect(third.stderr).toBe('');
    expect(third.json<{ warnings: string[] }>().warnings).toHaveLength(2);
  });

  it('fails clearly with a wrong LATCH_SECRET', async () => {
    const bad = await runLatch(['keys', 'rotate'], { env: { ...env, LATCH_SECRET: 'too-short' } });
    expectCode(bad, 1);
    expect(bad.stderr).toMatch(/LATCH_SECRET/);
  });
});
