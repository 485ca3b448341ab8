import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSecret, SecretError } from './secret.js';

const dirs: string[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'latch-secret-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('resolveSecret', () => {
  it('uses LATCH_SECRET when given', async () => {
    const value = Buffer.alloc(32, 7).toString('base64url');
    const secret = await resolveSecret({ secret: value, dataDir: '/nonexistent' });
    expect(Buffer.from(secret)).toEqual(Buffer.alloc(32, 7));
  });

  it('rejects a LATCH_SECRET of the wrong length, naming it', async () => {
    await expect(resolveSecret({ secret: Buffer.alloc(16).toString('base64url'), dataDir: '/x' })).rejects.toThrow(
      /LATCH_SECRET: must be 32 bytes/,
    );
    await expect(resolveSecret({ secret: 'not base64url!', dataDir: '/x' })).rejects.toBeInstanceOf(SecretError);
  });

  it('generates <dataDir>/secret.key (mode 0600, directory created) and reuses it', async () => {
    const dataDir = join(await tempDir(), 'nested', 'data');
    const first = await resolveSecret({ dataDir });
    expect(first).toHaveLength(32);
    const file = join(dataDir, 'secret.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url')).toEqual(Buffer.from(first));
    expect(Buffer.from(await resolveSecret({ dataDir }))).toEqual(Buffer.from(first));
  });

  it('gives concurrent callers the same secret', async () => {
    const dataDir = await tempDir();
    const secrets = await Promise.all(Array.from({ length: 8 }, () => resolveSecret({ dataDir })));
    for (const s of secrets) expect(Buffer.from(s)).toEqual(Buffer.from(secrets[0]!));
  });

  it('refuses a shared database (PostgreSQL) without LATCH_SECRET, saying how to make one, unless acknowledged', async () => {
    const dataDir = await tempDir();
    const refused = resolveSecret({ dataDir }, { sharedDatabase: true });
    await expect(refused).rejects.toBeInstanceOf(SecretError);
    await expect(refused).rejects.toThrow(/^LATCH_SECRET: required with PostgreSQL \(LATCH_DATABASE_URL\)/);
    await expect(refused).rejects.toThrow(/randomBytes\(32\)\.toString\('base64url'\)/);
    await expect(refused).rejects.toThrow(/LATCH_ALLOW_LOCAL_SECRET=true/);
    await expect(stat(join(dataDir, 'secret.key'))).rejects.toMatchObject({ code: 'ENOENT' });

    const value = Buffer.alloc(32, 3).toString('base64url');
    expect(Buffer.from(await resolveSecret({ dataDir, secret: value }, { sharedDatabase: true }))).toEqual(Buffer.alloc(32, 3));
    const local = await resolveSecret({ dataDir, allowLocalSecret: true }, { sharedDatabase: true });
    expect(local).toHaveLength(32);
    // Keys made with a local secret.key: the message says which file LATCH_SECRET must take.
    await expect(resolveSecret({ dataDir }, { sharedDatabase: true })).rejects.toThrow(/set LATCH_SECRET to its contents/);
  });

  it('rejects a damaged secret.key, naming the file', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'secret.key'), 'short\n');
    await expect(resolveSecret({ dataDir })).rejects.toThrow(/secret\.key: must be 32 bytes/);
  });
});
