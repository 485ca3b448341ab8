/**
 * OIDC Core §8.1: a pairwise client's sector_identifier_uri is fetched when the client is made or changed, and must
 * be a JSON array holding every one of its redirect URIs. Fetched through src/outbound (https, public addresses only
 * unless allowPrivate, a timeout, a size limit).
 */
import { OutboundFetchError, outboundFetch } from '../outbound/index.js';
import type { ClientMetadata } from '../storage/types.js';
import type { MetadataPolicy } from './client-metadata-members.js';
import { AdminInputError } from './errors.js';

const SECTOR_TIMEOUT_MS = 5000;
const SECTOR_MAX_BYTES = 64 * 1024;

export async function verifySectorIdentifier(metadata: ClientMetadata, policy: MetadataPolicy): Promise<void> {
  const uri = metadata.sector_identifier_uri;
  if (metadata.subject_type !== 'pairwise' || uri === undefined) return;
  let body: Buffer;
  try {
    const answer = await outboundFetch(uri, {
      allowPrivate: policy.allowPrivate === true,
      timeoutMs: SECTOR_TIMEOUT_MS,
      maxBytes: SECTOR_MAX_BYTES,
      headers: { accept: 'application/json' },
    });
    body = answer.body;
  } catch (err) {
    if (err instanceof OutboundFetchError) throw new AdminInputError('sector_identifier_uri', `cannot be fetched: ${err.message}`);
    throw err;
  }
  let list: unknown;
  try {
    list = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AdminInputError('sector_identifier_uri', 'did not answer with JSON');
  }
  // OIDC Core §8.1: "The values registered in redirect_uris MUST be included in the elements of the array."
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) throw new AdminInputError('sector_identifier_uri', 'did not answer with a JSON array of redirect URIs');
  const missing = metadata.redirect_uris.filter((r) => !list.includes(r));
  if (missing.length > 0) throw new AdminInputError('sector_identifier_uri', `its list does not hold the redirect URI${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
}
