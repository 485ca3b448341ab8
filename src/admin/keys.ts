/** Signing keys for operators: the list and the rotation `latch keys rotate` and the admin API both call. */
import { rotateKeys, type RotationResult } from '../keys/key-ring.js';
import type { SigningAlg } from '../keys/types.js';
import { CLI_ACTOR, recordEvent, type Actor } from '../observability/events.js';
import type { KeyRecord, Store } from '../storage/types.js';

const stateOrder = { active: 0, next: 1, retired: 2 } as const;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** By algorithm, then active, next, retired, then oldest first. Never the private key. */
export async function listKeys(store: Pick<Store, 'keys'>): Promise<KeyRecord[]> {
  return (await store.keys.list()).sort(
    (a, b) => a.alg.localeCompare(b.alg) || stateOrder[a.state] - stateOrder[b.state] || a.createdAt - b.createdAt,
  );
}

/** next -> active -> retired for each algorithm (keys/key-ring.ts rotateKeys), recorded as a `key.rotated` event. */
export async function rotateSigningKeys(
  store: Pick<Store, 'keys' | 'events'>,
  options: { secret: Uint8Array; algorithms: readonly SigningAlg[] },
  by: Actor = CLI_ACTOR,
  now = nowSeconds(),
): Promise<RotationResult> {
  const result = await rotateKeys({ repo: store.keys, secret: options.secret, algorithms: options.algorithms, now: () => now });
  await recordEvent(store, { type: 'key.rotated', by, data: { activated: result.activated, retired: result.retired, created: result.created } }, now);
  return result;
}

/** Public facts only: the JWK's public part is published anyway, the encrypted private key never leaves the store. */
export function keyToJson(key: KeyRecord): Record<string, unknown> {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: key.createdAt,
    activated_at: key.activatedAt,
    retired_at: key.retiredAt,
  };
}
