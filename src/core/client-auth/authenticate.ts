import type { ClientRecord } from '../../storage/types.js';
import { enterThrottle } from '../accounts/throttle.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { basicChallenge, clientSecretBasic } from './client-secret-basic.js';
import { clientSecretPost } from './client-secret-post.js';
import { none } from './none.js';
import { privateKeyJwt } from './private-key-jwt.js';
import type { ClientAuthDeps, ClientAuthInput, PresentedCredential } from './types.js';

/** Checked in this order; `none` last because every other method may also carry client_id. */
const credentialMethods = [clientSecretBasic, privateKeyJwt, clientSecretPost];

export const supportedAuthMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/**
 * Authenticates the client calling the token, introspection or revocation endpoint.
 * RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
 */
export async function authenticateClient(input: ClientAuthInput, deps: ClientAuthDeps): Promise<ClientRecord> {
  const presented: PresentedCredential[] = [];
  for (const method of credentialMethods) {
    const credential = method.detect(input);
    if (credential) presented.push(credential);
  }
  if (presented.length > 1) {
    throw new InvalidRequest(`more than one client authentication method used: ${presented.map((p) => p.method).join(', ')}`);
  }
  const credential = presented[0] ?? none.detect(input);
  if (!credential) throw new InvalidClient('client authentication is required (no client_id or credentials found)');

  const paramClientId = input.params.get('client_id');
  if (paramClientId !== undefined && paramClientId !== credential.clientId) {
    throw new InvalidClient('client_id does not match the authenticated client');
  }
  if (credential.method === 'none' || !deps.throttle) return verifyCredential(credential, deps);

  // RFC 6749 §2.3.1: the server MUST protect the client secret against brute force. Client ids are public, so
  // failures lock only this client from this address, and slow the client down elsewhere. A locked request is
  // not authenticated at all, so it gets RFC 6585 §4's 429 with Retry-After rather than §5.2's 401.
  const gate = await enterThrottle({ kind: 'client_secret', subject: credential.clientId, address: input.address, now: deps.now }, deps.throttle);
  if (gate.kind === 'locked') {
    throw new InvalidClient(
      `too many failed authentications of this client from this address; try again in ${gate.retryAfter} seconds`,
      { status: 429, headers: { 'Retry-After': String(gate.retryAfter) }, detail: `client ${credential.clientId} throttled` },
    );
  }
  let client: ClientRecord;
  try {
    client = await verifyCredential(credential, deps);
  } catch (err) {
    if (err instanceof InvalidClient) await gate.failed();
    throw err;
  }
  await gate.succeeded();
  return client;
}

async function verifyCredential(credential: PresentedCredential, deps: ClientAuthDeps): Promise<ClientRecord> {
  const failureHeaders = credential.method === 'client_secret_basic' ? basicChallenge : {};
  const client = await deps.clients.find(credential.clientId);
  if (!client) {
    throw new InvalidClient('client authentication failed', { headers: failureHeaders, detail: `unknown client ${credential.clientId}` });
  }
  const registered = client.metadata.token_endpoint_auth_method;
  if (registered !== credential.method) {
    throw new InvalidClient(`this client must authenticate with ${registered}, not ${credential.method}`, { headers: failureHeaders });
  }
  await credential.verify(client, deps);
  return client;
}
