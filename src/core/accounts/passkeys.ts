/**
 * WebAuthn passkeys through @simplewebauthn/server (no crypto here): registration and authentication ceremonies,
 * with one-time challenges bound to the browser that asked for them. The relying party is the issuer: its host name
 * is the RP ID, its origin the only origin accepted (WebAuthn Level 3 §13.4.9: a credential is scoped to its RP ID).
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { PasskeyRecord, PasskeysRepository, UserRecord } from '../../storage/types.js';
import { randomToken } from '../tokens/hash.js';

/** Seconds a ceremony may take, from options to the answer. */
export const PASSKEY_CHALLENGE_TTL = 300;

export interface RelyingParty {
  rpID: string;
  origin: string;
  rpName: string;
}

export function relyingParty(issuer: string, rpName: string): RelyingParty {
  const url = new URL(issuer);
  return { rpID: url.hostname, origin: url.origin, rpName };
}

export interface PasskeyDeps {
  passkeys: PasskeysRepository;
  rp: RelyingParty;
  now: number;
}

/**
 * RFC 8176 §2: `hwk` is a proof of possession of a hardware-secured key, `swk` of a software-secured one. A credential
 * that can be backed up (a synced passkey, WebAuthn `multiDevice`) leaves its authenticator, so it is `swk`; a
 * single-device credential stays in its authenticator's hardware: `hwk`. `user` only when the authenticator verified
 * the person (PIN or biometric, WebAuthn UV flag).
 */
export function passkeyMethods(deviceType: PasskeyRecord['deviceType'], userVerified: boolean): string[] {
  return [deviceType === 'multiDevice' ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])];
}

/** The challenge an authenticator signed, read from clientDataJSON (verified again by the library). */
function signedChallenge(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  try {
    const json = response.response?.clientDataJSON;
    if (typeof json !== 'string' || json.length > 4096) return undefined;
    const challenge = (JSON.parse(Buffer.from(json, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length <= 256 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

export async function registrationOptions(deps: PasskeyDeps, user: UserRecord, browserDigest: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { passkeys, rp, now } = deps;
  const handle = await passkeys.userHandle(user.sub, () => randomToken(32));
  const existing = await passkeys.listBySub(user.sub);
  const options = await generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName: user.email,
    userID: Buffer.from(handle, 'base64url'),
    userDisplayName: user.profile.name ?? user.email,
    attestationType: 'none',
    // WebAuthn §5.4.3: a credential the person already registered is not registered twice.
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    // Discoverable credentials, so that the passkey also signs in without a password.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
  await passkeys.createChallenge({ challenge: options.challenge, purpose: 'register', browserDigest, sub: user.sub, expiresAt: now + PASSKEY_CHALLENGE_TTL });
  return options;
}

export type PasskeyResult<T> = { kind: 'ok'; value: T } | { kind: 'failed'; reason: string };

export async function verifyRegistration(
  deps: PasskeyDeps,
  sub: string,
  response: RegistrationResponseJSON,
  browserDigest: string,
  name: string,
): Promise<PasskeyResult<{ passkey: PasskeyRecord; userVerified: boolean }>> {
  const { passkeys, rp, now } = deps;
  const challenge = signedChallenge(response);
  const stored = challenge && (await passkeys.consumeChallenge(challenge, 'register', browserDigest, now));
  if (!stored || stored.sub !== sub) return { kind: 'failed', reason: 'unknown_or_expired_challenge' };
  try {
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: false,
    });
    if (!verified.verified) return { kind: 'failed', reason: 'not_verified' };
    const info = verified.registrationInfo;
    const record: PasskeyRecord = {
      credentialId: info.credential.id,
      sub,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: [...(info.credential.transports ?? [])],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name: name.trim().slice(0, 64) || 'Passkey',
      createdAt: now,
      lastUsedAt: null,
    };
    await passkeys.create(record);
    return { kind: 'ok', value: { passkey: record, userVerified: info.userVerified } };
  } catch (error) {
    return { kind: 'failed', reason: (error as Error).message?.slice(0, 200) ?? 'invalid' };
  }
}

/** Options to sign in with a passkey: of `sub` (a second factor), or any discoverable one (no password). */
export async function authenticationOptions(
  deps: PasskeyDeps,
  browserDigest: string,
  sub: string | null,
  /** `required` when only a phishing-resistant sign-in (phr: the key and the person's PIN or biometric) will do. */
  userVerification: 'required' | 'preferred' = 'preferred',
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { passkeys, rp, now } = deps;
  const allowCredentials = sub ? (await passkeys.listBySub(sub)).map((p) => ({ id: p.credentialId, transports: p.transports })) : [];
  const options = await generateAuthenticationOptions({ rpID: rp.rpID, allowCredentials, userVerification });
  await passkeys.createChallenge({ challenge: options.challenge, purpose: 'authenticate', browserDigest, sub, expiresAt: now + PASSKEY_CHALLENGE_TTL });
  return options;
}

export interface PasskeySignIn {
  sub: string;
  /** RFC 8176 methods this assertion proves, e.g. ['hwk', 'user']. */
  methods: string[];
  credentialId: string;
}

export async function verifyAuthentication(
  deps: PasskeyDeps,
  response: AuthenticationResponseJSON,
  browserDigest: string,
  /** The person signing in when a passkey is their second factor; null for a passwordless sign-in. */
  expectedSub: string | null,
  requireUserVerification = false,
): Promise<PasskeyResult<PasskeySignIn>> {
  const { passkeys, rp, now } = deps;
  const challenge = signedChallenge(response);
  const stored = challenge && (await passkeys.consumeChallenge(challenge, 'authenticate', browserDigest, now));
  if (!stored || stored.sub !== expectedSub) return { kind: 'failed', reason: 'unknown_or_expired_challenge' };
  const credential = typeof response.id === 'string' && response.id.length <= 1024 ? await passkeys.find(response.id) : undefined;
  if (!credential) return { kind: 'failed', reason: 'unknown_credential' };
  if (expectedSub !== null && credential.sub !== expectedSub) return { kind: 'failed', reason: 'another_person' };
  // WebAuthn §7.2 step 6: a discoverable credential's userHandle must be the handle of its owner.
  const userHandle = response.response?.userHandle;
  if (userHandle !== undefined && userHandle !== null && (await passkeys.subForUserHandle(userHandle)) !== credential.sub) {
    return { kind: 'failed', reason: 'user_handle_mismatch' };
  }
  if (expectedSub === null && !userHandle) return { kind: 'failed', reason: 'no_user_handle' };
  try {
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: stored.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: { id: credential.credentialId, publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')), counter: credential.counter },
      requireUserVerification,
    });
    if (!verified.verified) return { kind: 'failed', reason: 'not_verified' };
    const info = verified.authenticationInfo;
    await passkeys.recordUse(credential.credentialId, info.newCounter, info.credentialBackedUp, now);
    return { kind: 'ok', value: { sub: credential.sub, methods: passkeyMethods(credential.deviceType, info.userVerified), credentialId: credential.credentialId } };
  } catch (error) {
    return { kind: 'failed', reason: (error as Error).message?.slice(0, 200) ?? 'invalid' };
  }
}
