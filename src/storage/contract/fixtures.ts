import { randomUUID } from 'node:crypto';
import type {
  AuthorizationCodeRecord,
  ClientRecord,
  GrantRecord,
  InteractionRecord,
  KeyRecord,
  SessionRecord,
  TokenRecord,
  UserRecord,
} from '../types.js';

/** A fixed clock, far from 0 and from the 2038 boundary's wrong side. */
export const NOW = 1_900_000_000;

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function aClient(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: uniqueId('client'),
    clientSecretDigest: 'c2VjcmV0LWRpZ2VzdA',
    previousSecret: null,
    metadata: {
      client_name: 'Example App',
      application_type: 'web',
      latch_client_kind: 'web',
      redirect_uris: ['https://app.example/callback'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email offline_access',
      id_token_signed_response_alg: 'RS256',
    },
    createdAt: NOW,
    ...overrides,
  };
}

export function aUser(overrides: Partial<UserRecord> = {}): UserRecord {
  const sub = overrides.sub ?? uniqueId('user');
  return {
    sub,
    email: `${sub}@example.com`,
    emailVerified: true,
    verificationRequired: false,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    profile: { name: 'Ada Lovelace', address: { locality: 'London', country: 'UK' }, phone_number_verified: false },
    roles: [],
    disabledAt: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

export function aSession(sub: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idDigest: uniqueId('session'),
    sid: uniqueId('sid'),
    sub,
    authTime: NOW,
    amr: ['pwd'],
    createdAt: NOW,
    expiresAt: NOW + 3600,
    ...overrides,
  };
}

export function anInteraction(clientId: string, overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    idDigest: uniqueId('interaction'),
    clientId,
    kind: 'authorize',
    request: { response_type: 'code', client_id: clientId, scope: 'openid', state: 'xyz' },
    deviceCodeDigest: null,
    browserDigest: uniqueId('browser'),
    result: {},
    createdAt: NOW,
    expiresAt: NOW + 600,
    ...overrides,
  };
}

export function aGrant(clientId: string, sub: string | null, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    grantId: uniqueId('grant'),
    clientId,
    sub,
    scope: 'openid profile',
    sid: sub === null ? null : uniqueId('sid'),
    authTime: sub === null ? null : NOW,
    amr: sub === null ? null : ['pwd'],
    createdAt: NOW,
    revokedAt: null,
    ...overrides,
  };
}

export function aCode(grant: GrantRecord, overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    codeDigest: uniqueId('code'),
    grantId: grant.grantId,
    clientId: grant.clientId,
    sub: grant.sub ?? 'nobody',
    redirectUri: 'https://app.example/callback',
    scope: grant.scope,
    nonce: 'n-0S6_WzA2Mj',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    authTime: NOW,
    sid: grant.sid,
    data: { acr: 'urn:latch:pwd', claims: { id_token: { email: null } } },
    createdAt: NOW,
    expiresAt: NOW + 60,
    consumedAt: null,
    ...overrides,
  };
}

export function aToken(grant: GrantRecord, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    digest: uniqueId('token'),
    kind: 'refresh_token',
    grantId: grant.grantId,
    clientId: grant.clientId,
    sub: grant.sub,
    scope: grant.scope,
    audience: null,
    data: { auth_time: NOW, sid: grant.sid },
    createdAt: NOW,
    expiresAt: NOW + 86_400,
    consumedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

export function aKey(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    kid: uniqueId('kid'),
    alg: 'ES256',
    state: 'next',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' },
    privateJwkEncrypted: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv.ciphertext.tag',
    createdAt: NOW,
    activatedAt: null,
    retiredAt: null,
    ...overrides,
  };
}
