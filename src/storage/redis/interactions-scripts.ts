/**
 * The Lua scripts of the interactions in Redis. An interaction is a hash (`rec`: the record's JSON without its
 * browser and result; `result`; `browser`; `client`; `sub`; `exp`), listed by id in sorted sets scored by expiry:
 * one per browser (rebindBrowser moves them all in one script), per client and per person (the deletes that cascade
 * in SQL), and one expiry index (purge). Index entries long past their real expiry are trimmed as new ones come.
 */

/** Adds ARGV-given `id` to sorted set `set` with score `exp`, trims entries expired before `trimBelow`, extends its TTL. */
const LIST = `
local function list(set, id, exp, trimBelow, collectAt)
  redis.call('ZADD', set, exp, id)
  redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. trimBelow)
  if redis.call('PEXPIRETIME', set) < collectAt then redis.call('PEXPIREAT', set, collectAt) end
end
`;

/** Deletes interaction `id` and its entries in every list; 1 when it existed. */
const REMOVE = `
local function remove(prefix, id)
  local key = prefix .. 'ix:' .. id
  local f = redis.call('HMGET', key, 'browser', 'client', 'sub')
  redis.call('ZREM', prefix .. 'ix-expiry', id)
  if not f[1] then return 0 end
  redis.call('DEL', key)
  redis.call('ZREM', prefix .. 'ix-browser:' .. f[1], id)
  redis.call('ZREM', prefix .. 'ix-client:' .. f[2], id)
  if f[3] ~= '' then redis.call('ZREM', prefix .. 'ix-user:' .. f[3], id) end
  return 1
end
`;

/** KEYS: hash, browser list, client list, person list, expiry index. ARGV: id, rec, result, browser, client, sub, exp, collectAt, trimBelow. */
export const CREATE = `${LIST}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'result', ARGV[3], 'browser', ARGV[4], 'client', ARGV[5], 'sub', ARGV[6], 'exp', ARGV[7])
local collectAt = tonumber(ARGV[8])
redis.call('PEXPIREAT', KEYS[1], collectAt)
list(KEYS[2], ARGV[1], ARGV[7], ARGV[9], collectAt)
list(KEYS[3], ARGV[1], ARGV[7], ARGV[9], collectAt)
if ARGV[6] ~= '' then list(KEYS[4], ARGV[1], ARGV[7], ARGV[9], collectAt) end
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[1])
return 1
`;

/** KEYS: hash. ARGV: prefix, id, result, sub, trimBelow. 1 when the interaction exists. */
export const UPDATE_RESULT = `${LIST}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'result', ARGV[3], 'sub', ARGV[4])
if ARGV[4] ~= '' then
  list(ARGV[1] .. 'ix-user:' .. ARGV[4], ARGV[2], redis.call('HGET', KEYS[1], 'exp'), ARGV[5], redis.call('PEXPIRETIME', KEYS[1]))
end
return 1
`;

/** KEYS: old browser list, new browser list. ARGV: prefix, old, new, now. Returns how many live interactions moved. */
export const REBIND = `
local now = tonumber(ARGV[4])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[4], '+inf')
local moved = 0
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'ix:' .. id
  local f = redis.call('HMGET', key, 'browser', 'exp')
  if f[1] == ARGV[2] and tonumber(f[2]) > now then
    moved = moved + 1
    if ARGV[2] ~= ARGV[3] then
      redis.call('HSET', key, 'browser', ARGV[3])
      redis.call('ZADD', KEYS[2], f[2], id)
      redis.call('ZREM', KEYS[1], id)
      local collectAt = redis.call('PEXPIRETIME', key)
      if redis.call('PEXPIRETIME', KEYS[2]) < collectAt then redis.call('PEXPIREAT', KEYS[2], collectAt) end
    end
  elseif not f[1] then
    redis.call('ZREM', KEYS[1], id)
  end
end
return moved
`;

/** ARGV: prefix, id. */
export const DELETE = `${REMOVE}
return remove(ARGV[1], ARGV[2])
`;

/** KEYS: list. ARGV: prefix, hash field (`client` or `sub`), its value. Deletes the interactions listed that still have it. */
export const DELETE_LISTED = `${REMOVE}
local deleted = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('HGET', ARGV[1] .. 'ix:' .. id, ARGV[2]) == ARGV[3] then deleted = deleted + remove(ARGV[1], id) end
end
redis.call('DEL', KEYS[1])
return deleted
`;

/** KEYS: expiry index. ARGV: prefix, now, batch size. Deletes interactions expired at `now`; returns how many entries it read. */
export const PURGE = `${REMOVE}
local now = tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  local exp = redis.call('HGET', ARGV[1] .. 'ix:' .. id, 'exp')
  if exp and tonumber(exp) > now then redis.call('ZADD', KEYS[1], exp, id) else remove(ARGV[1], id) end
end
return #ids
`;
