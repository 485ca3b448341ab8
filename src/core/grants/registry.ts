import { authorizationCode } from './authorization-code.js';
import { refreshToken } from './refresh-token.js';
import type { Grant } from './types.js';

/** Every grant type Latch implements, by grant_type. Adding a grant is one line here. */
export const grants: ReadonlyMap<string, Grant> = new Map([authorizationCode, refreshToken].map((g) => [g.grantType, g]));
