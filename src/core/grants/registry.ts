import { authorizationCode } from './authorization-code.js';
import { clientCredentials } from './client-credentials.js';
import { deviceCode } from './device-code.js';
import { password } from './password.js';
import { refreshToken } from './refresh-token.js';
import { tokenExchange } from './token-exchange.js';
import type { Grant, GrantSettings } from './types.js';

/** Every grant type Latch implements, by grant_type. Adding a grant is one line here. */
export const grants: ReadonlyMap<string, Grant> = new Map([authorizationCode, refreshToken, password, clientCredentials, deviceCode, tokenExchange].map((g) => [g.grantType, g]));

/** The grant types this server answers at /token with these settings (some grants are off by default). */
export function enabledGrantTypes(settings: GrantSettings): string[] {
  return [...grants.values()].filter((g) => g.enabled?.(settings) !== false).map((g) => g.grantType);
}
