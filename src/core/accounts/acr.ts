/**
 * How a person signed in, in the words of ID tokens: `amr` (RFC 8176 method references) and `acr` (the level those
 * methods reach). Latch's levels, lowest first: one factor, two factors, a phishing-resistant passkey (OpenID EAP ACR
 * Values). A higher level satisfies a request for a lower one.
 */
export const ACR_PWD = 'urn:latch:acr:pwd';
export const ACR_MFA = 'urn:latch:acr:mfa';
export const ACR_PHR = 'phr';

export const ACR_VALUES_SUPPORTED = [ACR_PWD, ACR_MFA, ACR_PHR] as const;
export type AcrValue = (typeof ACR_VALUES_SUPPORTED)[number];

const LEVEL: Record<AcrValue, number> = { [ACR_PWD]: 1, [ACR_MFA]: 2, [ACR_PHR]: 3 };

export function isAcrValue(value: string): value is AcrValue {
  return Object.hasOwn(LEVEL, value);
}

/** A passkey (WebAuthn with user verification): proof of a key plus the person's PIN or biometric. */
function passkey(amr: readonly string[]): boolean {
  return (amr.includes('hwk') || amr.includes('swk')) && amr.includes('user');
}

/** Factors of distinct kinds: something known (pwd), something held (otp, hwk, swk), someone vouching (fed). */
function factorCount(amr: readonly string[]): number {
  const kinds = new Set<string>();
  for (const method of amr) {
    if (method === 'pwd') kinds.add('knowledge');
    else if (method === 'otp' || method === 'hwk' || method === 'swk') kinds.add('possession');
    else if (method === 'fed') kinds.add('federated');
  }
  return kinds.size;
}

/** The level the methods in `amr` reach. */
export function acrFor(amr: readonly string[]): AcrValue {
  if (passkey(amr)) return ACR_PHR;
  if (amr.includes('mfa') || factorCount(amr) >= 2) return ACR_MFA;
  return ACR_PWD;
}

/** True when `actual` is at least `required`. */
export function satisfiesAcr(actual: AcrValue, required: AcrValue): boolean {
  return LEVEL[actual] >= LEVEL[required];
}

/**
 * The amr to state for a set of methods: adds `mfa` (RFC 8176 §2) when they reach two factors, without duplicates,
 * in a stable order.
 */
export function amrWithMfa(methods: readonly string[]): string[] {
  const set = new Set(methods.filter((m) => m !== 'mfa'));
  if (acrFor([...set]) !== ACR_PWD) set.add('mfa');
  return [...set];
}
