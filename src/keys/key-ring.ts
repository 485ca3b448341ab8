import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';
import type { KeyRecord, KeysRepository } from '../storage/types.js';
import { TurnEnd, TurnStage, type TurnQueue } from '../runtime/turn-end.js';
import { compactSigningKey, type CompactSigningKey } from './compact-sign.js';
import { decryptPrivateJwk, encryptPrivateJwk } from './encryption.js';
import { generateSigningKey, isSigningAlg, toPublicJwk } from './generate.js';
import type { KeyRing, SigningAlg } from './types.js';

/** Retired keys stay published this long after retirement, then `rotateKeys` deletes them. */
export const RETIRED_KEY_RETENTION = 30 * 24 * 3600;

const stateOrder = { active: 0, next: 1, retired: 2 } as const;
const defaultNow = () => Math.floor(Date.now() / 1000);

export interface KeyRingOptions {
  repo: KeysRepository;
  secret: Uint8Array;
  algorithms: readonly SigningAlg[];
  /** Unix seconds. */
  now?: () => number;
  /**
   * Tokens are signed together in the Sign stage of this turn end (runtime/turn-end.ts); the server passes the one
   * its store and app share. Without it, the ring gets a turn end of its own.
   */
  turnEnd?: TurnEnd;
}

export interface RotationResult {
  activated: string[];
  retired: string[];
  created: string[];
  pruned: string[];
}

export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

async function createKey(repo: KeysRepository, secret: Uint8Array, alg: SigningAlg, state: 'active' | 'next', now: number) {
  const key = await generateSigningKey(alg);
  await repo.create({
    kid: key.kid,
    alg,
    state,
    publicJwk: key.publicJwk,
    privateJwkEncrypted: await encryptPrivateJwk(key.privateJwk, secret),
    createdAt: now,
    activatedAt: state === 'active' ? now : null,
    retiredAt: null,
  });
  return key.kid;
}

const byAge = (a: KeyRecord, b: KeyRecord) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

/** The key that signs for an alg: the most recently activated active key (two exist for a moment during rotation). */
function pickActive(records: KeyRecord[], alg: string): KeyRecord | undefined {
  const actives = records.filter((k) => k.alg === alg && k.state === 'active');
  actives.sort((a, b) => (b.activatedAt ?? b.createdAt) - (a.activatedAt ?? a.createdAt) || -byAge(a, b));
  return actives[0];
}

/**
 * Creates the missing `active` and `next` key of each algorithm. When two processes race on the very
 * first start, both re-list afterwards and apply the same rule: the oldest active key stays, the
 * others are retired (still published, so nothing they signed breaks); extra next keys are deleted.
 */
async function ensureKeys(options: KeyRingOptions, now: number): Promise<void> {
  const { repo, secret, algorithms } = options;
  const existing = await repo.list();
  const createdActive = new Set<string>();
  const createdNext = new Set<string>();
  for (const alg of algorithms) {
    const mine = existing.filter((k) => k.alg === alg);
    const nexts = mine.filter((k) => k.state === 'next').sort(byAge);
    if (!mine.some((k) => k.state === 'active')) {
      // ARCHITECTURE §Conventions 7: a key that becomes active has been published already, when one has (a next key).
      const published = nexts.shift();
      if (published) await repo.setState(published.kid, 'active', now);
      else await createKey(repo, secret, alg, 'active', now);
      createdActive.add(alg);
    }
    if (nexts.length === 0) {
      await createKey(repo, secret, alg, 'next', now);
      createdNext.add(alg);
    }
  }
  if (createdActive.size === 0 && createdNext.size === 0) return;
  const after = await repo.list();
  for (const alg of algorithms) {
    if (createdActive.has(alg)) {
      const actives = after.filter((k) => k.alg === alg && k.state === 'active').sort(byAge);
      for (const extra of actives.slice(1)) await repo.setState(extra.kid, 'retired', now);
    }
    if (createdNext.has(alg)) {
      const nexts = after.filter((k) => k.alg === alg && k.state === 'next').sort(byAge);
      for (const extra of nexts.slice(1)) await repo.delete(extra.kid);
    }
  }
}

interface SignRequest {
  key: CompactSigningKey;
  /** Serialized when asked for, so that a later change to the caller's object cannot reach the token. */
  payloadJson: string;
  typ: string;
}

interface Settle {
  resolve(jwt: string): void;
  reject(error: unknown): void;
}

function signJob(request: SignRequest, settle: Settle): void {
  let jwt: string;
  try {
    jwt = request.key.signJson(request.payloadJson, request.typ);
  } catch (error) {
    settle.reject(error);
    return;
  }
  settle.resolve(jwt);
}

class StoredKeyRing implements KeyRing {
  #options: KeyRingOptions;
  /** Imported private keys by kid: each is decrypted and imported once per process. */
  #privateKeys = new Map<string, CompactSigningKey>();
  #active = new Map<SigningAlg, CompactSigningKey>();
  #jwks: JSONWebKeySet = { keys: [] };
  #jwksJson = '{"keys":[]}';
  #verifier: ReturnType<typeof createLocalJWKSet> = createLocalJWKSet({ keys: [] });
  #publishedAlgs: string[] = [];
  readonly #signing: TurnQueue;

  constructor(options: KeyRingOptions) {
    this.#options = options;
    // signJob settles each job's promise itself, so nothing reaches onError.
    this.#signing = (options.turnEnd ?? new TurnEnd()).queue(TurnStage.Sign, () => undefined);
  }

  get algorithms(): readonly SigningAlg[] {
    return [...this.#active.keys()];
  }

  jwks(): JSONWebKeySet {
    return structuredClone(this.#jwks);
  }

  jwksJson(): string {
    return this.#jwksJson;
  }

  /** Signs with the key active now, at the end of this turn, together with the turn's other tokens (runtime/turn-end.ts). */
  sign(payload: JWTPayload, options: { alg: SigningAlg; typ?: string }): Promise<string> {
    const active = this.#active.get(options.alg);
    if (!active) return Promise.reject(new KeyRingError(`no active signing key for ${options.alg}`));
    return new Promise((resolve, reject) => {
      this.#signing.defer(signJob, { key: active, payloadJson: JSON.stringify(payload), typ: options.typ ?? 'JWT' }, { resolve, reject });
    });
  }

  async verify(jwt: string, options: { allowExpired?: boolean; audience?: string } = {}): Promise<JWTVerifyResult> {
    const verifyOptions: JWTVerifyOptions = { algorithms: this.#publishedAlgs };
    if (options.audience !== undefined) verifyOptions.audience = options.audience;
    // An expired token is still accepted when asked (e.g. id_token_hint, OIDC RP-Initiated Logout §2).
    if (options.allowExpired) verifyOptions.clockTolerance = Number.MAX_SAFE_INTEGER;
    return jwtVerify(jwt, this.#verifier, verifyOptions);
  }

  async reload(): Promise<void> {
    const records = await this.#options.repo.list();
    const published = records
      .filter((k) => k.state in stateOrder)
      .sort((a, b) => stateOrder[a.state] - stateOrder[b.state] || byAge(a, b));
    const keys: JWK[] = published.map((k) => toPublicJwk(k.publicJwk, k.kid, k.alg));

    const active = new Map<SigningAlg, CompactSigningKey>();
    for (const alg of this.#options.algorithms) {
      const record = pickActive(records, alg);
      if (!record) continue;
      active.set(alg, await this.#importPrivate(record));
    }
    const stillThere = new Set(records.map((k) => k.kid));
    for (const kid of this.#privateKeys.keys()) if (!stillThere.has(kid)) this.#privateKeys.delete(kid);

    this.#active = active;
    this.#jwks = { keys };
    this.#jwksJson = JSON.stringify(this.#jwks);
    this.#verifier = createLocalJWKSet(structuredClone(this.#jwks));
    this.#publishedAlgs = [...new Set(published.map((k) => k.alg))];
  }

  async #importPrivate(record: KeyRecord): Promise<CompactSigningKey> {
    const cached = this.#privateKeys.get(record.kid);
    if (cached) return cached;
    if (!isSigningAlg(record.alg)) throw new KeyRingError(`key ${record.kid}: unsupported alg ${record.alg}`);
    const jwk = await decryptPrivateJwk(record.privateJwkEncrypted, this.#options.secret, record.kid);
    const key = compactSigningKey(jwk, record.alg, record.kid);
    this.#privateKeys.set(record.kid, key);
    return key;
  }
}

/** Loads the signing keys, creating an active and a next key per algorithm on first start. */
export async function loadKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const now = options.now ?? defaultNow;
  await ensureKeys(options, now());
  const ring = new StoredKeyRing(options);
  await ring.reload();
  return ring;
}

/**
 * One rotation step per algorithm, `next -> active -> retired`. Only a key already published as `next`
 * (created at start or by the previous rotation, so in every running server's JWKS) becomes active; a new
 * next key takes its place, and the previous active key is retired. Without a next key, one is created and
 * nothing is activated: the next rotation will activate it. (With no key at all, a first active key is
 * created: nothing was signed before it.) Retired keys stay published for RETIRED_KEY_RETENTION, then are deleted.
 */
export async function rotateKeys(options: KeyRingOptions): Promise<RotationResult> {
  const { repo, secret, algorithms } = options;
  const now = (options.now ?? defaultNow)();
  const result: RotationResult = { activated: [], retired: [], created: [], pruned: [] };
  const records = await repo.list();
  for (const alg of algorithms) {
    const mine = records.filter((k) => k.alg === alg);
    const oldActives = mine.filter((k) => k.state === 'active');
    const nexts = mine.filter((k) => k.state === 'next').sort(byAge);

    const promote = nexts[0]?.kid;
    if (!promote) {
      if (oldActives.length === 0) {
        const first = await createKey(repo, secret, alg, 'active', now);
        result.created.push(first);
        result.activated.push(first);
      }
      result.created.push(await createKey(repo, secret, alg, 'next', now));
      continue;
    }
    const newNext = await createKey(repo, secret, alg, 'next', now);
    result.created.push(newNext);

    await repo.setState(promote, 'active', now);
    result.activated.push(promote);
    for (const old of oldActives) {
      await repo.setState(old.kid, 'retired', now);
      result.retired.push(old.kid);
    }
    for (const extra of nexts.slice(1)) {
      await repo.delete(extra.kid);
      result.pruned.push(extra.kid);
    }
  }
  for (const key of records) {
    if (key.state === 'retired' && key.retiredAt !== null && key.retiredAt < now - RETIRED_KEY_RETENTION) {
      if (await repo.delete(key.kid)) result.pruned.push(key.kid);
    }
  }
  return result;
}
