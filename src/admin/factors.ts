/**
 * An operator's reset of a person's second factors (issue 13), for a lost device without recovery codes: their TOTP
 * secret, recovery codes and passkeys are deleted; their next sign-in that needs a second factor enrols a new one.
 * Recorded as `factor.reset` (counts only, never a secret).
 */
import { recordEvent, type Actor } from '../observability/events.js';
import type { Store } from '../storage/types.js';
import { getUser } from './users.js';

export interface FactorsReset {
  totp: boolean;
  recoveryCodes: number;
  passkeys: number;
}

export async function resetFactors(
  store: Pick<Store, 'users' | 'events' | 'totpSecrets' | 'recoveryCodes' | 'passkeys'>,
  sub: string,
  by?: Actor,
  now = Math.floor(Date.now() / 1000),
): Promise<FactorsReset> {
  await getUser(store, sub);
  const totp = await store.totpSecrets.delete(sub);
  const recoveryCodes = await store.recoveryCodes.deleteBySub(sub);
  const passkeys = await store.passkeys.deleteBySub(sub);
  await recordEvent(store, { type: 'factor.reset', by, sub, data: { totp, recovery_codes: recoveryCodes, passkeys } }, now);
  return { totp, recoveryCodes, passkeys };
}
