"""Redis commands packed by hand into one buffer, and the Lua scripts of the Redis backends.

Packing many commands into one buffer sends them in a single write; the replies are read
back in order. This is what makes `set_many` one round trip with a TTL per key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "pack",
    "pack_get",
    "pack_set_px",
    "pack_set_many",
    "pack_mget",
    "Script",
    "SET_TAGGED",
    "INVALIDATE_TAGS",
    "GET_VERSIONED",
    "DELETE_IF_EQUALS",
    "TAG_ENTRY",
    "POP_TAG",
]


def pack(*args: bytes) -> bytes:
    """One command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def pack_get(key: bytes) -> bytes:
    """GET key."""
    return b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key)


def pack_set_px(key: bytes, value: bytes, ttl_ms: int) -> bytes:
    """SET key value PX ttl_ms."""
    ttl = b"%d" % ttl_ms
    return b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$%d\r\n%s\r\n" % (
        len(key), key, len(value), value, len(ttl), ttl,
    )


def pack_set_many(items: Sequence[tuple[bytes, bytes, int]]) -> bytes:
    """SET key value PX ttl_ms, for every item, in one buffer."""
    out = []
    last = None
    tail = b""
    for key, value, ttl_ms in items:
        if ttl_ms != last:
            ttl = b"%d" % ttl_ms
            tail = b"$2\r\nPX\r\n$%d\r\n%b\r\n" % (len(ttl), ttl)
            last = ttl_ms
        out.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(key), key, len(value), value))
        out.append(tail)
    return b"".join(out)


def pack_mget(keys: Sequence[bytes]) -> bytes:
    """MGET key [key ...]."""
    out = [b"*%d\r\n$4\r\nMGET\r\n" % (len(keys) + 1)]
    for key in keys:
        out.append(b"$%d\r\n%s\r\n" % (len(key), key))
    return b"".join(out)


class Script:
    """A Lua script sent by EVALSHA, falling back to EVAL when the server does not know it."""

    __slots__ = ("source", "sha")

    def __init__(self, source: str) -> None:
        self.source = source.encode()
        self.sha = hashlib.sha1(self.source).hexdigest().encode()

    def evalsha(self, keys: Sequence[bytes], args: Sequence[bytes]) -> bytes:
        """The packed EVALSHA command."""
        return pack(b"EVALSHA", self.sha, b"%d" % len(keys), *keys, *args)

    def eval(self, keys: Sequence[bytes], args: Sequence[bytes]) -> bytes:
        """The packed EVAL command (used once after a NOSCRIPT reply)."""
        return pack(b"EVAL", self.source, b"%d" % len(keys), *keys, *args)


# KEYS[1] the entry, KEYS[2..] its tag sets; ARGV[1] value, ARGV[2] ttl in ms.
# A tag set lives as long as its longest-lived entry (PEXPIRE only ever extends it).
SET_TAGGED = Script(
    """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
"""
)

# KEYS: tag sets. Deletes every member of each set, then the sets; returns entries deleted.
INVALIDATE_TAGS = Script(
    """
local n = 0
for i = 1, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do
    n = n + redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
end
return n
"""
)

# KEYS[1] the namespace version counter; the entry key is ARGV[1] .. version .. ARGV[2].
GET_VERSIONED = Script(
    """
local v = redis.call('GET', KEYS[1]) or '0'
return {v, redis.call('GET', ARGV[1] .. v .. ARGV[2])}
"""
)

# KEYS[1] a lock; ARGV[1] the owner's token. Only the owner may release it.
DELETE_IF_EQUALS = Script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
)

# Redis Cluster, where an entry and its tag sets may live on different nodes: one script per key.
# KEYS[1] a tag set; ARGV[1] the entry's key, ARGV[2] its ttl in ms (the set lives as long).
TAG_ENTRY = Script(
    """
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
)

# KEYS[1] a tag set: its members, and the set deleted in the same step (a later tag starts anew).
POP_TAG = Script(
    """
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
"""
)
