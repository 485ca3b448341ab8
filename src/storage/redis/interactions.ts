/**
 * Interactions in Redis (the scripts and their layout: interactions-scripts.ts). Expiry is decided against the
 * `now` given; Redis's TTL only collects garbage.
 */
import { StorageConflictError, type InteractionRecord, type InteractionsRepository } from '../types.js';
import { collectAfter, type RedisConnection } from './connection.js';
import { CREATE, DELETE, DELETE_LISTED, PURGE, REBIND, UPDATE_RESULT } from './interactions-scripts.js';
import { PURGE_BATCH } from './replay.js';

type Scripted = {
  latchIxCreate(...args: [string, string, string, string, string, ...(string | number)[]]): Promise<number>;
  latchIxUpdate(hash: string, prefix: string, id: string, result: string, sub: string, trimBelow: number): Promise<number>;
  latchIxRebind(oldList: string, newList: string, prefix: string, old: string, next: string, now: number): Promise<number>;
  latchIxDelete(prefix: string, id: string): Promise<number>;
  latchIxDeleteListed(list: string, prefix: string, field: string, value: string): Promise<number>;
  latchIxPurge(index: string, prefix: string, now: number, batch: number): Promise<number>;
};

/** What the store adds to the repository: the deletes that cascade from clients and people in SQL, and the purge. */
export interface RedisInteractions extends InteractionsRepository {
  deleteByClient(clientId: string): Promise<number>;
  deleteBySub(sub: string): Promise<number>;
  purge(now: number): Promise<number>;
}

export function interactionKeys(prefix: string) {
  return {
    hash: (id: string) => `${prefix}ix:${id}`,
    browser: (digest: string) => `${prefix}ix-browser:${digest}`,
    client: (clientId: string) => `${prefix}ix-client:${clientId}`,
    user: (sub: string) => `${prefix}ix-user:${sub}`,
    index: `${prefix}ix-expiry`,
  };
}

/** List entries whose interaction expired over an hour ago (by the real clock) are gone by TTL: trimmed. */
const trimBelow = () => Math.floor(Date.now() / 1000) - 3600;

export function redisInteractionsRepository(redis: RedisConnection): RedisInteractions {
  const define = (name: string, numberOfKeys: number, lua: string) => redis.client.defineCommand(name, { numberOfKeys, lua });
  define('latchIxCreate', 5, CREATE);
  define('latchIxUpdate', 1, UPDATE_RESULT);
  define('latchIxRebind', 2, REBIND);
  define('latchIxDelete', 0, DELETE);
  define('latchIxDeleteListed', 1, DELETE_LISTED);
  define('latchIxPurge', 1, PURGE);
  const client = redis.client as unknown as Scripted;
  const { prefix } = redis;
  const keys = interactionKeys(prefix);
  return {
    async create(interaction) {
      const { browserDigest, result, ...rest } = interaction;
      const sub = result.sub ?? '';
      const created = await redis.run(() =>
        client.latchIxCreate(
          keys.hash(interaction.idDigest),
          keys.browser(browserDigest),
          keys.client(interaction.clientId),
          keys.user(sub),
          keys.index,
          interaction.idDigest,
          JSON.stringify(rest),
          JSON.stringify(result),
          browserDigest,
          interaction.clientId,
          sub,
          interaction.expiresAt,
          collectAfter(interaction.expiresAt),
          trimBelow(),
        ),
      );
      if (created !== 1) throw new StorageConflictError('interaction already exists');
    },

    async find(idDigest, now) {
      const [rec, result, browser, exp] = await redis.run(() => redis.client.hmget(keys.hash(idDigest), 'rec', 'result', 'browser', 'exp'));
      if (rec == null || result == null || browser == null || Number(exp) <= now) return undefined;
      const record = JSON.parse(rec) as Omit<InteractionRecord, 'browserDigest' | 'result'>;
      return { ...record, browserDigest: browser, result: JSON.parse(result) as InteractionRecord['result'] };
    },

    async updateResult(idDigest, result) {
      const updated = await redis.run(() =>
        client.latchIxUpdate(keys.hash(idDigest), prefix, idDigest, JSON.stringify(result), result.sub ?? '', trimBelow()),
      );
      return updated === 1;
    },

    rebindBrowser: (oldDigest, newDigest, now) =>
      redis.run(() => client.latchIxRebind(keys.browser(oldDigest), keys.browser(newDigest), prefix, oldDigest, newDigest, now)),

    async delete(idDigest) {
      return (await redis.run(() => client.latchIxDelete(prefix, idDigest))) === 1;
    },

    deleteByClient: (clientId) => redis.run(() => client.latchIxDeleteListed(keys.client(clientId), prefix, 'client', clientId)),
    deleteBySub: (sub) => redis.run(() => client.latchIxDeleteListed(keys.user(sub), prefix, 'sub', sub)),

    async purge(now) {
      let deleted = 0;
      for (let batch = PURGE_BATCH; batch === PURGE_BATCH; deleted += batch) {
        batch = Number(await redis.run(() => client.latchIxPurge(keys.index, prefix, now, PURGE_BATCH)));
      }
      return deleted;
    },
  };
}
