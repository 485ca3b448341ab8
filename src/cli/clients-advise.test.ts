import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-advise-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** A stdin that says it is a terminal, with the operator's typed lines. */
function terminal(...lines: string[]) {
  return Object.assign(Readable.from(lines.map((l) => `${l}\n`)), { isTTY: true });
}

describe('latch clients create without --type', () => {
  it('at a terminal: asks, recommends spa for a browser app that cannot keep a secret, and creates it', async () => {
    const result = await runLatch(['clients', 'create', '--name', 'Dashboard', '--redirect-uri', 'http://localhost:5173/cb'], {
      env,
      stdin: terminal('yes', 'web', 'no'),
    });
    expectCode(result, 0);
    expect(result.stderr).toContain('Is there a user');
    expect(result.stderr).toContain('Does it have a browser?');
    expect(result.stderr).toContain('Can the app keep a secret');
    expect(result.stderr).toMatch(/Recommended: --type spa, authorization code with PKCE/);
    expect(result.stdout).toContain('Created spa client "Dashboard"');
    expect(result.stdout).not.toContain('client_secret');
  });

  it('asks only what the decision needs: no user means m2m; re-asks after an unclear answer', async () => {
    const result = await runLatch(['clients', 'create', '--name', 'Nightly job', '--json'], { env, stdin: terminal('maybe', 'n') });
    expectCode(result, 0);
    expect(result.stderr).toContain('Please answer yes, no');
    expect(result.stderr).not.toContain('Does it have a browser?');
    expect(result.stderr).toMatch(/Recommended: --type m2m/);
    const client = result.json();
    expect(client).toMatchObject({ latch_client_kind: 'm2m', grant_types: ['client_credentials'] });
    expect(typeof client.client_secret).toBe('string');
  });

  it('a device without a browser gets the device flow', async () => {
    const result = await runLatch(['clients', 'create', '--name', 'TV app', '--json'], { env, stdin: terminal('y', 'none') });
    expectCode(result, 0);
    expect(result.json()).toMatchObject({ latch_client_kind: 'device', token_endpoint_auth_method: 'none' });
  });

  it('fails cleanly when the input ends before the questions are answered', async () => {
    const result = await runLatch(['clients', 'create', '--name', 'Half'], { env, stdin: terminal('yes') });
    expectCode(result, 1);
    expect(result.stderr).toMatch(/no answer/);
    expect(result.stderr).toMatch(/--type/);
  });

  it('without a terminal: a usage error naming --type and the types', async () => {
    const result = await runLatch(['clients', 'create', '--name', 'Scripted'], { env, stdin: 'yes\nweb\nno\n' });
    expectCode(result, 2);
    expect(result.stderr).toMatch(/--type is required \(web, spa, native, m2m or device\)/);
  });

  it('--name is checked before any question is asked', async () => {
    const result = await runLatch(['clients', 'create'], { env, stdin: terminal('yes', 'web', 'yes') });
    expectCode(result, 2);
    expect(result.stderr).toMatch(/--name is required/);
    expect(result.stderr).not.toContain('Is there a user');
  });
});

describe('latch clients advise', () => {
  it('prints the decision table', async () => {
    const result = await runLatch(['clients', 'advise'], { env });
    expectCode(result, 0);
    expect(result.stdout).toContain('Which flow should I use?');
    for (const type of ['m2m', 'device', 'native', 'web', 'spa']) expect(result.stdout).toMatch(new RegExp(`\\b${type}\\n`));
    const json = await runLatch(['clients', 'advise', '--json'], { env });
    expectCode(json, 0);
    expect(json.json<{ decision_table: unknown[] }>().decision_table).toHaveLength(5);
  });

  it('at a terminal: asks and prints the command to run', async () => {
    const result = await runLatch(['clients', 'advise'], { env, stdin: terminal('yes', 'app') });
    expectCode(result, 0);
    expect(result.stdout).toContain('--type native --redirect-uri');
  });
});
