import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SECRET_BYTES = 32;
export const SECRET_FILE = 'secret.key';

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

function decodeSecret(value: string, source: string): Uint8Array {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) {
    throw new SecretError(`${source}: must be 32 bytes, base64url-encoded`);
  }
  const bytes = new Uint8Array(Buffer.from(trimmed, 'base64url'));
  if (bytes.length !== SECRET_BYTES) {
    throw new SecretError(`${source}: must be 32 bytes, base64url-encoded (got ${bytes.length} bytes)`);
  }
  return bytes;
}

export const GENERATE_SECRET_COMMAND = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

/**
 * The key that encrypts signing keys at rest: LATCH_SECRET when set, else `<dataDir>/secret.key`,
 * generated on first use (mode 0600). Two processes starting together end up with the same secret:
 * the file is written under a temporary name and linked into place, which fails if it already exists.
 * A shared database (PostgreSQL) needs LATCH_SECRET: a local file would differ per instance, and the others
 * could not decrypt the keys; `allowLocalSecret` (LATCH_ALLOW_LOCAL_SECRET) accepts the file anyway.
 */
export async function resolveSecret(
  config: { secret?: string | undefined; dataDir: string; allowLocalSecret?: boolean },
  options: { sharedDatabase?: boolean } = {},
): Promise<Uint8Array> {
  if (config.secret !== undefined && config.secret !== '') return decodeSecret(config.secret, 'LATCH_SECRET');
  const file = join(config.dataDir, SECRET_FILE);
  if (options.sharedDatabase && config.allowLocalSecret !== true) {
    const fromFile = (await readSecretFile(file).catch(() => undefined))
      ? ` (this machine's keys were encrypted with ${file}: set LATCH_SECRET to its contents)`
      : '';
    throw new SecretError(
      `LATCH_SECRET: required with PostgreSQL (LATCH_DATABASE_URL), so that every instance can decrypt the signing keys${fromFile}. ` +
        `Make one with ${GENERATE_SECRET_COMMAND} and give every instance the same value, ` +
        `or set LATCH_ALLOW_LOCAL_SECRET=true to use ${file} on a single instance`,
    );
  }
  const existing = await readSecretFile(file);
  if (existing) return existing;

  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(SECRET_BYTES);
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${fresh.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return new Uint8Array(fresh);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readSecretFile(file);
    if (!winner) throw new SecretError(`${file}: exists but is empty`);
    return winner;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function readSecretFile(file: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return decodeSecret(text, file);
}
