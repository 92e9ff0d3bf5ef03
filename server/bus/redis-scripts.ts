// Lua scripts run atomically by Redis for RedisBus. Each one reads and writes
// session keys in one step, so no other node can act between the check and the
// change (compare-and-delete, refresh-if-owned, sweep-if-expired).

/**
 * Claim a session. KEYS[1] = session key, KEYS[2] = online set.
 * ARGV[1] = node id, ARGV[2] = ttl in ms, ARGV[3] = username.
 * Returns 1 when claimed, 0 when another session holds it.
 */
export const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SADD', KEYS[2], ARGV[3])
  return 1
end
return 0`;

/**
 * Release a session only if this node owns it. KEYS[1] = session key,
 * KEYS[2] = online set. ARGV[1] = node id, ARGV[2] = username.
 * Returns 1 when released, 0 when it was not ours.
 */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/**
 * Refresh this node's claims. KEYS[1] = online set, KEYS[2..n] = session keys;
 * ARGV[1] = node id, ARGV[2] = ttl in ms, ARGV[3..] = the usernames of
 * KEYS[2..] in the same order.
 * A key still ours gets a fresh TTL. A key that expired (we were stalled
 * longer than the TTL) and that nobody took is claimed again. A key now held
 * by another node is lost: its username is returned so the caller forgets it.
 */
export const REFRESH = `
local lost = {}
for i = 2, #KEYS do
  local user = ARGV[i + 1]
  local owner = redis.call('GET', KEYS[i])
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  elseif owner == false then
    redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
    redis.call('SADD', KEYS[1], user)
  else
    table.insert(lost, user)
  end
end
return lost`;

/**
 * Remove users from the online set whose session key no longer exists (their
 * node died and the claim expired). Reads session keys it is not passed, which
 * standalone Redis allows (Redis Cluster would not; we do not use it). KEYS[1] = online set, ARGV[1] = prefix of
 * session keys. Returns the removed usernames.
 * Atomic, so a user who signs in again between the check and the removal
 * cannot be dropped: SADD by CLAIM and this SREM never interleave.
 */
export const SWEEP = `
local gone = {}
for _, user in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. user) == 0 then
    redis.call('SREM', KEYS[1], user)
    table.insert(gone, user)
  end
end
return gone`;
