import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../storage/types.js';
import { digest } from '../tokens/hash.js';
import { clientSecretBasic } from './client-secret-basic.js';
import type { ClientAuthDeps } from './types.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const detect = (authorization: string) => clientSecretBasic.detect({ authorization, params: new Map(), endpointUrl: 'https://op.example/token' });
const client = (secret: string) => ({ clientId: 'c', clientSecretDigest: digest(secret) }) as unknown as ClientRecord;
const deps = { now: 0 } as ClientAuthDeps;

describe('client_secret_basic', () => {
  it('takes client_id and secret as they are when nothing is encoded', async () => {
    const credential = detect(basic('plain-client', 'Sec_ret-123'));
    expect(credential?.clientId).toBe('plain-client');
    await expect(credential?.verify(client('Sec_ret-123'), deps)).resolves.toBeUndefined();
  });

  it('form-decodes client_id and secret (RFC 6749 §2.3.1): %XX escapes, and + for a space', async () => {
    const credential = detect(basic('my%20client%3Aone', 'a+b%2Bc%25'));
    expect(credential?.clientId).toBe('my client:one');
    await expect(credential?.verify(client('a b+c%'), deps)).resolves.toBeUndefined();
    await expect(credential?.verify(client('a+b%2Bc%25'), deps)).rejects.toMatchObject({ code: 'invalid_client', status: 401 });
  });

  it('refuses a wrong secret with 401 and a Basic challenge', async () => {
    const credential = detect(basic('plain-client', 'wrong'));
    await expect(credential?.verify(client('right'), deps)).rejects.toMatchObject({
      code: 'invalid_client',
      status: 401,
      headers: { 'WWW-Authenticate': expect.stringMatching(/^Basic /) },
    });
  });

  it('refuses malformed escapes and credentials without a colon', () => {
    expect(() => detect(basic('bad%zz', 'x'))).toThrow(/malformed Basic credentials/);
    expect(() => detect(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toThrow(/malformed Basic credentials/);
  });
});
