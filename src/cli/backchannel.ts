/**
 * Back-Channel Logout for the CLI (`latch users disable|delete`): the same admin services as the admin API, and the
 * logout tokens delivered before the command exits. The signing keys are loaded only when a client is to be told.
 */
import { createBackchannelDelivery } from '../core/oidc/backchannel-delivery.js';
import { pairwiseSaltFrom } from '../core/oidc/pairwise.js';
import { type BackchannelLogout, type LogoutNotice, logoutNotices, sessionClients } from '../core/oidc/backchannel-logout.js';
import { loadKeyRing } from '../keys/key-ring.js';
import { resolveSecret } from '../keys/secret.js';
import type { OpenedStore } from '../storage/open.js';
import type { CommandContext } from './context.js';

export async function withBackchannelLogout<T>(ctx: CommandContext, store: OpenedStore, fn: (logout: BackchannelLogout) => Promise<T>): Promise<T> {
  const queued: LogoutNotice[] = [];
  const logout: BackchannelLogout = {
    plan: async (ended) => logoutNotices(await sessionClients(store, ended)),
    send: (notices) => void queued.push(...notices),
  };
  const result = await fn(logout);
  if (queued.length === 0) return result;
  const config = ctx.config();
  const secret = await resolveSecret(config, { sharedDatabase: config.databaseUrl !== undefined });
  const keys = await loadKeyRing({ repo: store.keys, secret, algorithms: config.keyAlgorithms });
  const timeoutMs = config.backchannelLogoutTimeout * 1000;
  const attempts = config.backchannelLogoutAttempts;
  const delivery = createBackchannelDelivery({
    issuer: config.issuer,
    store,
    keys,
    allowPrivate: config.fetchAllowPrivate,
    timeoutMs,
    attempts,
    pairwiseSalt: pairwiseSaltFrom(secret),
    now: () => Math.floor(Date.now() / 1000),
    log: { warn: (_obj, msg) => ctx.io.stderr.write(`latch: warning: ${msg}\n`) },
  });
  delivery.send(queued);
  // Every attempt and the waits between them (1 s, doubling), and a second to spare.
  const budget = attempts * timeoutMs + (2 ** (attempts - 1) - 1) * 1000 + 1000;
  const { pending } = await delivery.drain(budget);
  if (pending > 0) ctx.io.stderr.write(`latch: warning: ${pending} logout token(s) still undelivered; see the logout.backchannel_* events\n`);
  return result;
}
