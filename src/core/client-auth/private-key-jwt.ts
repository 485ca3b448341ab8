import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { FAPI2_ALGS, isFapi2 } from '../fapi/profile.js';
import { digest } from '../tokens/hash.js';
import { ClientKeysError, inlineClientKeys } from './client-keys.js';
import type { ClientAuthMethod } from './types.js';

export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const allowedAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Assertions may not live longer than this, so the replay cache stays small. */
const maxAssertionLifetime = 600;

export const privateKeyJwt: ClientAuthMethod = {
  method: 'private_key_jwt',
  detect({ params }) {
    const assertion = params.get('client_assertion');
    const assertionType = params.get('client_assertion_type');
    if (assertion === undefined && assertionType === undefined) return undefined;
    // RFC 7523 §2.2 / RFC 7521 §4.2: both parameters are required, with the JWT bearer type.
    if (assertionType !== jwtBearerAssertionType) {
      throw new InvalidRequest(`client_assertion_type must be ${jwtBearerAssertionType}`);
    }
    if (!assertion) throw new InvalidRequest('missing client_assertion');
    let claims;
    try {
      claims = decodeJwt(assertion);
    } catch {
      throw new InvalidClient('client_assertion is not a valid JWT');
    }
    const clientId = claims.sub;
    if (typeof clientId !== 'string' || !clientId) throw new InvalidClient('client_assertion has no sub');
    const paramClientId = params.get('client_id');
    if (paramClientId !== undefined && paramClientId !== clientId) {
      throw new InvalidClient('client_id does not match the client_assertion sub');
    }
    return {
      method: 'private_key_jwt',
      clientId,
      async verify(client, deps) {
        const { jwks, jwks_uri: jwksUri } = client.metadata;
        if ((!jwks || jwks.keys.length === 0) && !jwksUri) throw new InvalidClient('client has no registered keys');
        const fapi2 = isFapi2(client);
        const registeredAlgs = client.metadata.token_endpoint_auth_signing_alg ? [client.metadata.token_endpoint_auth_signing_alg] : allowedAlgorithms;
        // FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA only.
        const algorithms = fapi2 ? registeredAlgs.filter((alg) => FAPI2_ALGS.includes(alg)) : registeredAlgs;
        let payload;
        try {
          // RFC 7523 §3: iss and sub are the client_id; aud identifies the authorization server; exp is required.
          ({ payload } = await jwtVerify(assertion, (deps.clientKeys ?? inlineClientKeys).resolver(client), {
            algorithms,
            issuer: client.clientId,
            subject: client.clientId,
            // FAPI 2.0 §5.3.2.1: "shall only accept its issuer identifier value ... as a string in the aud claim".
            audience: fapi2 ? deps.issuer : [deps.issuer, ...deps.assertionAudiences],
            requiredClaims: ['exp', 'jti'],
            currentDate: new Date(deps.now * 1000),
            clockTolerance: 30,
          }));
        } catch (err) {
          const reason = err instanceof joseErrors.JOSEError || err instanceof ClientKeysError ? err.message : 'verification failed';
          throw new InvalidClient(`client_assertion is invalid: ${reason}`);
        }
        if (fapi2 && typeof payload.aud !== 'string') throw new InvalidClient('client_assertion aud must be the issuer identifier, as a string (FAPI 2.0)');
        const exp = payload.exp as number;
        if (exp - deps.now > maxAssertionLifetime) {
          throw new InvalidClient(`client_assertion must expire within ${maxAssertionLifetime} seconds`);
        }
        // RFC 7523 §3 item 7: the authorization server may ensure the JWT is not replayed, using jti.
        const fresh = await deps.replay.remember(`jti:${client.clientId}:${digest(String(payload.jti))}`, exp + 30, deps.now);
        if (!fresh) throw new InvalidClient('client_assertion was already used (jti replay)');
      },
    };
  },
};
