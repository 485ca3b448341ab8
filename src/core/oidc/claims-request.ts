import { z } from 'zod';
import { type AcrValue, acrFor, isAcrValue, satisfiesAcr } from '../accounts/acr.js';
import { OAuthError } from '../errors.js';

/** OIDC Core §5.5.1: how one claim is requested: null (voluntary, default), or with `essential`, `value`, `values`. */
export interface ClaimRequest {
  essential?: boolean;
  value?: unknown;
  values?: unknown[];
}

export type RequestedClaims = Readonly<Record<string, ClaimRequest | null>>;

/** OIDC Core §5.5: the `claims` request parameter, reduced to the two members Latch understands. */
export interface ClaimsRequest {
  id_token?: RequestedClaims;
  userinfo?: RequestedClaims;
}

/** Longer than any sensible request for every standard claim; anything bigger is refused. */
const MAX_CLAIMS_LENGTH = 8192;

// OIDC Core §5.5.1: null (voluntary, default), or an object; "Other members MAY be defined ... Any members used that
// are not understood MUST be ignored."
const claimRequest = z
  .object(
    {
      essential: z.boolean({ error: 'essential must be true or false' }).optional(),
      value: z.unknown().optional(),
      values: z.array(z.unknown(), { error: 'values must be an array' }).optional(),
    },
    { error: 'a claim request must be null or an object' },
  )
  .nullable();

const requestedClaims = z.record(z.string(), claimRequest, { error: 'must be an object of claim names' });

// OIDC Core §5.5: a JSON object with the optional members userinfo and id_token; other members are ignored.
const claimsSchema = z.object({ id_token: requestedClaims.optional(), userinfo: requestedClaims.optional() }, { error: 'must be a JSON object' });

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? `claims.${issue.path.join('.')}` : 'claims';
  return `${where}: ${issue?.message ?? 'is invalid'}`;
}

function prune(parsed: z.infer<typeof claimsSchema>): ClaimsRequest {
  const request: ClaimsRequest = {};
  if (parsed.id_token) request.id_token = parsed.id_token as RequestedClaims;
  if (parsed.userinfo) request.userinfo = parsed.userinfo as RequestedClaims;
  return request;
}

/**
 * OIDC Core §5.5: the `claims` parameter of an authorization request, or undefined when it was not sent. A value
 * that is not JSON, or not of the shape §5.5 defines, is refused with invalid_request (redirectable).
 */
export function parseClaimsParameter(raw: string | undefined): ClaimsRequest | undefined {
  if (raw === undefined) return undefined;
  const fail = (description: string): never => {
    throw new OAuthError('invalid_request', description, { redirectable: true });
  };
  if (raw.length > MAX_CLAIMS_LENGTH) fail(`the claims parameter is longer than ${MAX_CLAIMS_LENGTH} characters`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail('the claims parameter is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('the claims parameter must be a JSON object');
  const parsed = claimsSchema.safeParse(json);
  if (!parsed.success) fail(`the claims parameter is invalid: ${describe(parsed.error)}`);
  return prune(parsed.data!);
}

/** The claims request a code or token kept in its data (the codec of that member; anything else reads as none). */
export function claimsRequestOf(data: Readonly<Record<string, unknown>>): ClaimsRequest | undefined {
  const parsed = claimsSchema.safeParse(data.claims);
  return parsed.success ? prune(parsed.data) : undefined;
}

/** What a code or token keeps of a claims request in its data. */
export function claimsData(claims: ClaimsRequest | undefined): { claims?: ClaimsRequest } {
  return claims && (claims.id_token || claims.userinfo) ? { claims } : {};
}

function asStrings(request: ClaimRequest | null | undefined): string[] {
  if (!request) return [];
  const all = [...(request.values ?? []), ...(request.value === undefined ? [] : [request.value])];
  return all.filter((v): v is string => typeof v === 'string');
}

/** OIDC Core §5.5.1.1: the acr values asked for in the ID token, and whether they were asked for as essential. */
export function requestedAcr(claims: ClaimsRequest | undefined): { values: string[]; essential: boolean } {
  const acr = claims?.id_token?.acr;
  return { values: asStrings(acr), essential: acr?.essential === true };
}

/**
 * OIDC Core §5.5.1.1: essential acr values the step-up logic must reach (core/accounts/mfa-policy.ts), like
 * acr_values but binding. Voluntary ones change nothing.
 */
export function essentialAcrValues(claims: ClaimsRequest | undefined): string[] {
  const { values, essential } = requestedAcr(claims);
  return essential ? values : [];
}

/**
 * The `acr` to state in the ID token. OIDC Core §5.5.1.1: when acr is requested with values, the one returned must
 * match one of them: the most demanding requested value the sign-in reaches (a higher level satisfies a lower one).
 * Otherwise, or when none is reached, the level reached.
 */
export function acrToState(amr: readonly string[], claims: ClaimsRequest | undefined): AcrValue {
  const reached = acrFor(amr);
  let best: AcrValue | undefined;
  for (const value of requestedAcr(claims).values) {
    if (!isAcrValue(value) || !satisfiesAcr(reached, value)) continue;
    if (best === undefined || satisfiesAcr(value, best)) best = value;
  }
  return best ?? reached;
}

/** OIDC Core §5.5.1: `sub` requested with a value in the ID token: only that person may be the answer. */
export function requestedSub(claims: ClaimsRequest | undefined): string | undefined {
  const value = claims?.id_token?.sub?.value;
  return typeof value === 'string' ? value : undefined;
}
