import type { DeviceCodeRecord, DeviceCodesRepository, UserRecord } from '../../storage/types.js';
import { scopesForPerson } from '../accounts/person-scopes.js';
import { spaceList } from '../params.js';
import { digest } from '../tokens/hash.js';
import { newSortableId } from '../tokens/token-key.js';
import { normalizeUserCode } from './user-code.js';

/**
 * RFC 8628 §3.3: the code a person typed, if it names a device authorization request still waiting for a decision.
 * Malformed, unknown, expired and already decided codes are all answered alike.
 */
export async function findPendingUserCode(
  input: string,
  deviceCodes: Pick<DeviceCodesRepository, 'findByUserCode'>,
  now: number,
): Promise<DeviceCodeRecord | undefined> {
  const normalized = normalizeUserCode(input);
  if (!normalized) return undefined;
  const record = await deviceCodes.findByUserCode(digest(normalized), now);
  return record?.status === 'pending' ? record : undefined;
}

export interface DeviceDecisionAuth {
  sub: string;
  sid: string | null;
  authTime: number;
  amr: string[];
}

/**
 * RFC 8628 §3.3: the person approved. The approval records who (sub, sid, auth_time) and what (the scopes), and
 * names the grant the tokens will belong to. False when the request was decided meanwhile or has expired.
 */
export async function approveDeviceCode(
  record: DeviceCodeRecord,
  auth: DeviceDecisionAuth,
  deviceCodes: Pick<DeviceCodesRepository, 'approve'>,
  now: number,
  /** The person approving (the route has already refused a disabled one). */
  user: Pick<UserRecord, 'roles' | 'disabledAt'>,
): Promise<boolean> {
  // A person's grant gets a role scope (admin:read, admin:write) only if they hold the role.
  const scope = scopesForPerson(user, spaceList(record.scope)).join(' ');
  return deviceCodes.approve(record.deviceCodeDigest, { grantId: newSortableId(), sub: auth.sub, sid: auth.sid, authTime: auth.authTime, amr: auth.amr, scope }, now);
}
