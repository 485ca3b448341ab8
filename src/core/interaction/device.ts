import type { ClientRecord, DeviceCodeRecord, InteractionRecord, Store, UserRecord } from '../../storage/types.js';
import { isDisabled, scopesForPerson } from '../accounts/person-scopes.js';
import type { Authentication } from '../authorize/decide.js';
import { approveDeviceCode } from '../device/verification.js';
import { spaceList } from '../params.js';
import { digest } from '../tokens/hash.js';
import type { Consent, Login, SecondFactor } from './next.js';
import { ACR_MFA, type AcrValue, acrFor, satisfiesAcr } from '../accounts/acr.js';
import { clientRequiredAcr, hasSecondFactor, type MfaSetting } from '../accounts/mfa-policy.js';

export interface DeviceJourneyDeps {
  store: Pick<Store, 'interactions' | 'deviceCodes' | 'clients' | 'users' | 'totpSecrets' | 'passkeys'>;
  /** LATCH_MFA (issue 13). */
  mfa?: MfaSetting;
}

/** A device interaction resumed: the device code still pending, and its client. */
export interface ResumedDevice {
  device: DeviceCodeRecord;
  client: ClientRecord;
}

/**
 * Loads the device code of a device interaction. A code no longer pending (decided, expired) or a user code that is
 * not this code's (RFC 8628 §3.3: it is carried in the page URLs, never stored) ends the interaction.
 */
export async function resumeDevice(
  deps: DeviceJourneyDeps,
  interaction: InteractionRecord,
  deviceCodeDigest: string,
  userCode: string | undefined,
  now: number,
): Promise<ResumedDevice | undefined> {
  const { store } = deps;
  const device = await store.deviceCodes.find(deviceCodeDigest);
  const client = device && (await store.clients.find(device.clientId));
  if (!device || !client || device.status !== 'pending' || device.expiresAt <= now || !userCode || digest(userCode) !== device.userCodeDigest) {
    await store.interactions.delete(interaction.idDigest);
    return undefined;
  }
  return { device, client };
}

/** Consent to a device code: with the person approving (their roles decide their share of the scopes). */
export interface DeviceConsent extends Consent {
  user: UserRecord;
}

/**
 * The level a device approval needs: its client's (LATCH_MFA, default_acr_values; a device authorization request has
 * no acr_values), raised to two factors under LATCH_MFA=enrolled for a person who set one up, the rule of the
 * authorize journey (mfa-policy.ts secondFactorStep).
 */
async function deviceRequiredAcr(deps: DeviceJourneyDeps, client: ClientRecord, auth: Authentication): Promise<AcrValue> {
  const global = deps.mfa ?? 'off';
  const required = clientRequiredAcr(global, client.metadata.default_acr_values);
  if (global === 'enrolled' && !satisfiesAcr(required, ACR_MFA) && (await hasSecondFactor(deps.store, auth))) return ACR_MFA as AcrValue;
  return required;
}

/**
 * What comes next on a device interaction: log in (again, for a disabled account), the second factor its client
 * needs (asked on the same pages as the authorize journey), or confirm the code.
 */
export async function nextDevice(deps: DeviceJourneyDeps, resumed: ResumedDevice, auth: Authentication | undefined): Promise<Login | SecondFactor | DeviceConsent> {
  if (!auth) return { kind: 'login' };
  const user = await deps.store.users.findBySub(auth.sub);
  if (!user) return { kind: 'login' };
  // A disabled account approves nothing (its sessions ended when it was disabled; this is belt and braces).
  if (isDisabled(user)) return { kind: 'login', disabled: true };
  // Issue 13: a device is approved only at the level its client needs; a sign-in below it is asked for a second factor.
  const required = await deviceRequiredAcr(deps, resumed.client, auth);
  if (!satisfiesAcr(acrFor(auth.amr), required)) return { kind: 'second_factor', auth, required };
  // The person is asked for, and granted, their share of the scopes only (no admin scopes without the admin role).
  return { kind: 'consent', auth, email: user.email, scopes: scopesForPerson(user, spaceList(resumed.device.scope)), user };
}

/**
 * RFC 8628 §3.3: the person approves or denies; the device learns it by polling. The interaction ends either way.
 * False when the code was decided meanwhile or has expired.
 */
export async function decideDevice(
  deps: Pick<Store, 'interactions' | 'deviceCodes'>,
  resumed: ResumedDevice,
  interaction: InteractionRecord,
  consent: DeviceConsent,
  approved: boolean,
  now: number,
): Promise<boolean> {
  const decided = approved
    ? await approveDeviceCode(resumed.device, consent.auth, deps.deviceCodes, now, consent.user)
    : await deps.deviceCodes.deny(resumed.device.deviceCodeDigest, now);
  await deps.interactions.delete(interaction.idDigest);
  return decided;
}
