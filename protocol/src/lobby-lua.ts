// Lua fragments of the lobby ticket's state machine, shared by the edge (knock, poll,
// leave, redeem) and media nodes (admit, deny), so both sides move tickets the same way.
// Scripts that use them lay out their keys alike: KEYS[1] the ticket hash, KEYS[2] the
// meeting's waiting set, KEYS[3] the entrant's subject key; ARGV[1] the ticket id.

/** Defines `now`: ms since the epoch on the Redis server's clock, the one clock every instance shares. */
export const LOBBY_LUA_NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The ticket (its status already set) leaves the waiting set, frees its subject, and is
 * kept `hold` ms (a Lua variable the script defines) so its entrant learns the outcome.
 */
export const LOBBY_LUA_SETTLE = `redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
redis.call('PEXPIRE', KEYS[1], hold)`;
