import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-device-codes.js';
import * as m003 from './migrations/003-apis.js';
import * as m004 from './migrations/004-partial-token-indexes.js';
import * as m005 from './migrations/005-one-time-grants.js';
import * as m006 from './migrations/006-browser-binding-introspection-clients.js';
import * as m007 from './migrations/007-operators.js';
import * as m008 from './migrations/008-interaction-kinds.js';
import * as m009 from './migrations/009-grant-amr.js';
import * as m010 from './migrations/010-federation.js';
import * as m011 from './migrations/011-factors.js';
import * as m012 from './migrations/012-account-tokens.js';
import * as m013 from './migrations/013-verification-required.js';
import * as m015 from './migrations/015-change-notices.js';
import * as m016 from './migrations/016-registration.js';
import * as m017 from './migrations/017-pushed-authorization-requests.js';
import * as m018 from './migrations/018-dpop-binding.js';
import * as m022 from './migrations/022-rate-limit-notices.js';
import * as m023 from './migrations/023-tokens-client-check.js';

/** Every migration, by name; listed here rather than read from disk, since they are compiled to dist/. */
export const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '002-device-codes': m002,
  '003-apis': m003,
  '004-partial-token-indexes': m004,
  '005-one-time-grants': m005,
  '006-browser-binding-introspection-clients': m006,
  '007-operators': m007,
  '008-interaction-kinds': m008,
  '009-grant-amr': m009,
  '010-federation': m010,
  '011-factors': m011,
  '012-account-tokens': m012,
  '013-verification-required': m013,
  '015-change-notices': m015,
  '016-registration': m016,
  '017-pushed-authorization-requests': m017,
  '018-dpop-binding': m018,
  '022-rate-limit-notices': m022,
  '023-tokens-client-check': m023,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
