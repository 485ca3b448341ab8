/**
 * The storage contract: one suite that every backend must pass. A backend's test file calls
 * `storeContract(name, backend)`; the suite opens one store, migrates it, and runs every group.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { OpenedStore } from '../open.js';
import { accountsContract } from './accounts.js';
import { deviceCodesContract } from './device-codes.contract.js';
import { apisContract } from './apis.contract.js';
import { ephemeralContract } from './ephemeral.js';
import { grantsContract } from './grants.js';
import { lifecycleContract } from './lifecycle.js';
import { oneTimeContract } from './one-time.contract.js';
import { eventsContract } from './events.contract.js';
import { operatorsContract } from './operators.contract.js';
import { pagesContract } from './pages.contract.js';
import { settingsContract } from './settings.contract.js';
import { federationContract } from './federation.contract.js';
import { accountTokensContract } from './account-tokens.contract.js';
import { factorsContract } from './factors.contract.js';
import { purgeContract } from './purge.contract.js';
import { pushedRequestsContract } from './pushed-requests.contract.js';
import { registrationContract } from './registration.contract.js';
import { dpopBindingContract } from './dpop-binding.contract.js';

export interface ContractBackend {
  /** Opens a new, unmigrated store over the backend's database; every call reaches the same data. */
  open(): Promise<OpenedStore>;
  /** Removes the database, once every store is closed. */
  destroy(): Promise<void>;
  /** How many replay entries or rate-limit windows `key` has, where the backend keeps them outside SQL (Redis). */
  countEphemeral?(kind: 'replay' | 'rate_limits', key: string): Promise<number>;
}

export interface ContractContext {
  readonly backend: ContractBackend;
  /** The suite's migrated store. */
  store(): OpenedStore;
  /** What the suite's first `migrate()` applied. */
  appliedAtStart(): string[];
}

export function storeContract(name: string, backend: ContractBackend): void {
  describe(`storage contract: ${name}`, () => {
    let store: OpenedStore | undefined;
    let applied: string[] = [];

    beforeAll(async () => {
      store = await backend.open();
      applied = await store.migrate();
    });

    afterAll(async () => {
      await store?.close();
      await backend.destroy();
    });

    const context: ContractContext = {
      backend,
      store: () => {
        if (!store) throw new Error('store not open');
        return store;
      },
      appliedAtStart: () => applied,
    };

    lifecycleContract(context);
    accountsContract(context);
    grantsContract(context);
    ephemeralContract(context);
    deviceCodesContract(context);
    apisContract(context);
    oneTimeContract(context);
    dpopBindingContract(context);
    pagesContract(context);
    operatorsContract(context);
    eventsContract(context);
    settingsContract(context);
    federationContract(context);
    accountTokensContract(context);
    factorsContract(context);
    purgeContract(context);
    pushedRequestsContract(context);
    registrationContract(context);
  });
}
