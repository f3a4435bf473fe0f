"""A private redis-server: started on loopback as configured, ours to change, gone afterwards."""

from __future__ import annotations

import socket

import pytest
import redis

from labkit.lab.services.private_redis import private_redis


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_it_starts_on_loopback_with_the_configuration_asked_for() -> None:
    with private_redis({"maxmemory": "3mb", "maxmemory-policy": "allkeys-lfu"}) as server:
        assert server.url.startswith("redis://127.0.0.1:")
        assert server.config("maxmemory") == str(3 * 2**20)
        assert server.config("maxmemory-policy") == "allkeys-lfu"
        assert server.config("bind") == "127.0.0.1"
        with server.client() as client:
            assert client.ping()


def test_it_can_be_reconfigured_and_flushed() -> None:
    with private_redis() as server:
        server.configure(maxmemory=5_000_000, maxmemory_policy="allkeys-lru")
        assert server.config("maxmemory") == "5000000"
        with server.client() as client:
            client.set("k", "v")
            server.flush()
            assert client.dbsize() == 0
        assert server.used_memory() > 0


def test_it_is_stopped_and_its_folder_removed_on_the_way_out() -> None:
    with private_redis() as server:
        port, folder = server.port, server.folder
        assert _answers(port) and folder.is_dir()
    assert server.process.poll() is not None
    assert not _answers(port) and not folder.exists()


def test_the_shared_server_keeps_its_configuration(redis_url: str) -> None:
    shared = redis.Redis.from_url(redis_url)
    before = shared.config_get("maxmemory*")
    with private_redis({"maxmemory": "1mb"}) as server:
        server.configure(maxmemory_policy="allkeys-random")
        assert server.port != shared.connection_pool.connection_kwargs.get("port")
    assert shared.config_get("maxmemory*") == before
    shared.close()


def test_a_bad_setting_fails_with_the_server_log() -> None:
    from labkit.lab.errors import ServiceError

    with pytest.raises(ServiceError, match="private redis-server did not start"):
        with private_redis({"maxmemory-policy": "no-such-policy"}):
            pass
