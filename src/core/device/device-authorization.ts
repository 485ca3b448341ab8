import { type ClientRecord, type DeviceCodesRepository, StorageConflictError } from '../../storage/types.js';
import { InvalidScope, UnauthorizedClient } from '../errors.js';
import { type Params, spaceList } from '../params.js';
import { digest, randomToken } from '../tokens/hash.js';
import { generateUserCode, normalizeUserCode } from './user-code.js';

export const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.2: the device authorization response. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export interface DeviceAuthorizationDeps {
  deviceCodes: Pick<DeviceCodesRepository, 'create'>;
  /** Where the person enters the code (RFC 8628 §3.2 verification_uri). */
  verificationUri: string;
  ttl: number;
  interval: number;
}

/** User codes are random: a clash with a live code is rare (1 in 2^34 per live code), and retried. */
const userCodeAttempts = 5;

/**
 * RFC 8628 §3.1 / §3.2: a device (an authenticated or public client) asks to be authorized. The client is already
 * authenticated by the caller, exactly as at the token endpoint.
 */
export async function handleDeviceAuthorization(
  client: ClientRecord,
  params: Params,
  now: number,
  deps: DeviceAuthorizationDeps,
): Promise<DeviceAuthorizationResponse> {
  // RFC 8628 §3.2 / RFC 6749 §5.2 unauthorized_client: the client must be registered for the device code grant.
  if (!client.metadata.grant_types.includes(deviceCodeGrantType)) {
    throw new UnauthorizedClient(`this client is not allowed to use the ${deviceCodeGrantType} grant`);
  }
  const scopes = requestedScopes(client, params);

  const deviceCode = randomToken();
  for (let attempt = 1; ; attempt++) {
    const userCode = generateUserCode();
    try {
      await deps.deviceCodes.create({
        deviceCodeDigest: digest(deviceCode),
        // Low-entropy, but a bearer value while it lives: stored as the digest of its normalised form.
        userCodeDigest: digest(normalizeUserCode(userCode) as string),
        clientId: client.clientId,
        scope: scopes.join(' '),
        status: 'pending',
        grantId: null,
        sub: null,
        sid: null,
        authTime: null,
        interval: deps.interval,
        lastPolledAt: null,
        createdAt: now,
        expiresAt: now + deps.ttl,
        decidedAt: null,
        consumedAt: null,
      });
    } catch (err) {
      if (err instanceof StorageConflictError && attempt < userCodeAttempts) continue;
      throw err;
    }
    const complete = new URL(deps.verificationUri);
    complete.searchParams.set('user_code', userCode);
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: deps.verificationUri,
      // RFC 8628 §3.3.1: the verification URI with the user code, for a QR code or a link.
      verification_uri_complete: complete.href,
      expires_in: deps.ttl,
      interval: deps.interval,
    };
  }
}

/** RFC 8628 §3.1 scope: checked as at /authorize; every scope must be registered for the client. */
function requestedScopes(client: ClientRecord, params: Params): string[] {
  // RFC 6749 §3.3: without a default scope, a request without scope fails with invalid_scope.
  const scopes = [...new Set(spaceList(params.get('scope')))];
  if (scopes.length === 0) throw new InvalidScope('scope is required');
  const allowed = spaceList(client.metadata.scope);
  const refused = scopes.filter((s) => !allowed.includes(s));
  if (refused.length > 0) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`);
  return scopes;
}
