import type { ClientRecord } from '../../storage/types.js';

/**
 * The `sub` a client knows the person by, for its logout token. Public subjects today; pairwise subjects (OIDC Core
 * §8.1) are computed here, so that a logout token names the same subject as that client's ID tokens.
 */
export function subjectFor(client: ClientRecord, sub: string): string {
  void client;
  return sub;
}
