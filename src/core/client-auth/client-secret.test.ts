import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../storage/types.js';
import { digest } from '../tokens/hash.js';
import { clientSecretBasic } from './client-secret-basic.js';
import { clientSecretPost } from './client-secret-post.js';
import { matchesClientSecret } from './client-secret.js';
import type { ClientAuthDeps } from './types.js';

const rotated = (current: string, previous: string, expiresAt: number) =>
  ({ clientId: 'c', clientSecretDigest: digest(current), previousSecret: { digest: digest(previous), expiresAt } }) as unknown as ClientRecord;

describe('matchesClientSecret', () => {
  it('accepts the current secret, and the previous one only before its grace ends', () => {
    const client = rotated('new-secret', 'old-secret', 1000);
    expect(matchesClientSecret('new-secret', client, 999)).toBe(true);
    expect(matchesClientSecret('new-secret', client, 5000)).toBe(true);
    expect(matchesClientSecret('old-secret', client, 999)).toBe(true);
    expect(matchesClientSecret('old-secret', client, 1000)).toBe(false);
    expect(matchesClientSecret('other', client, 999)).toBe(false);
  });

  it('without a previous secret or with a malformed digest, only the current secret matches', () => {
    const plain = { clientSecretDigest: digest('s'), previousSecret: null };
    expect(matchesClientSecret('s', plain, 0)).toBe(true);
    expect(matchesClientSecret('t', plain, 0)).toBe(false);
    expect(matchesClientSecret('s', { clientSecretDigest: 'short', previousSecret: { digest: '', expiresAt: 10 } }, 0)).toBe(false);
  });

  it('client_secret_basic and client_secret_post accept the previous secret during the grace period', async () => {
    const client = rotated('new-secret', 'old-secret', 1000);
    const basic = clientSecretBasic.detect({ authorization: `Basic ${Buffer.from('c:old-secret').toString('base64')}`, params: new Map(), endpointUrl: 'https://op.example/token' });
    const post = clientSecretPost.detect({ authorization: undefined, params: new Map([['client_id', 'c'], ['client_secret', 'old-secret']]), endpointUrl: 'https://op.example/token' });
    for (const credential of [basic, post]) {
      await expect(credential?.verify(client, { now: 999 } as ClientAuthDeps)).resolves.toBeUndefined();
      await expect(credential?.verify(client, { now: 1000 } as ClientAuthDeps)).rejects.toMatchObject({ code: 'invalid_client' });
    }
  });
});
