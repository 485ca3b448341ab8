/**
 * RFC 8693 §4.1: the `act` (actor) claim of a token issued by token exchange for delegation: who acts on behalf of
 * the token's subject; a nested `act` names the actor before it ("the least recent actor is the most deeply nested").
 */
export interface ActClaim {
  sub: string;
  /** RFC 8693 §4.3: the client the actor used, when the actor is known through a token issued to a client. */
  client_id?: string;
  act?: ActClaim;
}

/** Whether a value kept with a token is an `act` claim (a token's data is read back from the store). */
export function isActClaim(value: unknown): value is ActClaim {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { sub, client_id: clientId, act } = value as Record<string, unknown>;
  if (typeof sub !== 'string') return false;
  if (clientId !== undefined && typeof clientId !== 'string') return false;
  return act === undefined || isActClaim(act);
}

/** How deeply actors may nest: a longer chain of services is refused rather than stored. */
export const maxActDepth = 5;

export function actDepth(act: ActClaim | undefined): number {
  return act === undefined ? 0 : 1 + actDepth(act.act);
}
