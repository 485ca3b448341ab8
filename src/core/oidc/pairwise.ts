import { createHash, hkdfSync } from 'node:crypto';
import type { ClientMetadata } from '../../storage/types.js';
import { OAuthError } from '../errors.js';

/** The host of a URI; for a native app's private-use scheme without one (com.example.app:/cb), the scheme. */
function hostOf(uri: string): string {
  const url = new URL(uri);
  return url.host || url.protocol.replace(/:$/, '');
}

/**
 * OIDC Core §8.1: the Sector Identifier, "the host component of the sector_identifier_uri" when registered, else
 * "the host component of the registered redirect_uri"; "if there are multiple hostnames in the registered
 * redirect_uris, the Client MUST register a sector_identifier_uri" (refused here, not guessed).
 */
export function sectorOf(metadata: Pick<ClientMetadata, 'sector_identifier_uri' | 'redirect_uris'>): string {
  if (metadata.sector_identifier_uri) return hostOf(metadata.sector_identifier_uri);
  const hosts = new Set(metadata.redirect_uris.map(hostOf));
  if (hosts.size !== 1) {
    throw new OAuthError('invalid_client', 'a pairwise client with redirect URIs on several hosts (or none) must register a sector_identifier_uri', {
      status: 400,
    });
  }
  return [...hosts][0] as string;
}

/**
 * OIDC Core §8: the `sub` a client knows a person by. A public client gets the local sub; a pairwise client
 * (`subject_type: pairwise`) gets base64url(SHA-256(sector host || local sub || salt)), §8.1, with a salt derived
 * from the server secret: the same for every client of one sector, different across sectors, and not reversible
 * without the secret. Consents, grants and sessions always stay on the local sub.
 */
export function subjectFor(
  client: { metadata: Pick<ClientMetadata, 'subject_type' | 'sector_identifier_uri' | 'redirect_uris'> },
  localSub: string,
  salt: Buffer | undefined,
): string {
  if (client.metadata.subject_type !== 'pairwise') return localSub;
  if (!salt) throw new Error('pairwise subject requested without the pairwise salt');
  return createHash('sha256').update(sectorOf(client.metadata)).update(localSub).update(salt).digest('base64url');
}

/**
 * Whether a `sub` a client was given (an id_token_hint's, or `claims.id_token.sub.value`) names the signed-in
 * person `localSub`: equal to the local sub, or to the pairwise sub of that client.
 */
export function namesPerson(
  given: string,
  localSub: string,
  client: Parameters<typeof subjectFor>[0] | undefined,
  salt: Buffer | undefined,
): boolean {
  if (given === localSub) return true;
  return client !== undefined && client.metadata.subject_type === 'pairwise' && subjectFor(client, localSub, salt) === given;
}

/** The salt of every pairwise subject, derived from the server secret: changing LATCH_SECRET changes every pairwise sub. */
export function pairwiseSaltFrom(secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), 'latch pairwise subject', 32));
}
