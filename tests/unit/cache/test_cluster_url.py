"""Redis Cluster URLs: startup nodes, credentials and TLS taken apart; bad ones named."""

from __future__ import annotations

import pytest

from labkit.cache import AsyncCache, AsyncRedisClusterBackend, Cache, RedisClusterBackend
from labkit.cache.cluster_map import is_cluster_url, parse_cluster_url
from labkit.errors import CacheArgumentError
from labkit.settings import Settings


def test_every_listed_node_is_a_startup_node() -> None:
    url = parse_cluster_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7001")
    assert url.startup == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    assert url.node_url("10.0.0.3:7002") == "redis://10.0.0.3:7002/0"


def test_credentials_and_tls_pass_to_every_node() -> None:
    url = parse_cluster_url("rediss+cluster://app:s%40cret@h1:7000,h2:7000/0?ssl_cert_reqs=none")
    assert (url.username, url.password, url.tls) == ("app", "s@cret", True)
    assert url.node_url("h3:7000") == "rediss://app:s%40cret@h3:7000/0?ssl_cert_reqs=none"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://h1:7000", "must start with one of redis+cluster://"),
        ("redis+cluster://h1", "'h1' is not host:port"),
        ("redis+cluster://h1:7000,:7001", "':7001' is not host:port"),
        ("redis+cluster://h1:70000", "is not host:port"),
        ("redis+cluster://h1:7000/2", "database 0 only"),
        ("redis+cluster://h1:7000?socket_timeout=3", "give socket_timeout to the backend"),
    ],
)
def test_a_bad_url_is_refused_naming_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(CacheArgumentError, match=message.replace("+", r"\+").replace("?", r"\?")):
        parse_cluster_url(url)


def test_the_password_is_masked_in_errors_and_names() -> None:
    with pytest.raises(CacheArgumentError) as caught:
        parse_cluster_url("redis+cluster://u:hunter2@h1")
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in Cache.from_url("redis+cluster://u:hunter2@h1:7000").backend.name


def test_a_cluster_url_picks_the_cluster_backend_in_both_flavours() -> None:
    assert is_cluster_url("redis+cluster://h:1") and not is_cluster_url("redis://h:1/0")
    assert isinstance(Cache.from_url("redis+cluster://h:1").backend, RedisClusterBackend)
    assert isinstance(AsyncCache.from_url("redis+cluster://h:1").backend, AsyncRedisClusterBackend)
    settings = Settings.from_env({"REDIS_URL": "redis+cluster://h:1,h:2"}, env_file=None)
    assert isinstance(Cache.from_settings(settings).backend, RedisClusterBackend)
