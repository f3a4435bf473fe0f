"""The real servers the lab measures: a URL from the settings, else embedded ones it starts."""

from labkit.lab.services.embedded import (
    BACKENDS,
    Endpoints,
    ServiceStatus,
    check_postgres,
    check_redis,
    down,
    endpoint,
    postgres_url,
    redis_url,
    resolve,
    running_embedded,
    server_versions,
    sqlite_url,
    status,
    up,
    version_of,
)
from labkit.lab.services.redis_cluster import LocalCluster, redis_cluster

__all__ = [
    "BACKENDS",
    "Endpoints",
    "LocalCluster",
    "ServiceStatus",
    "check_postgres",
    "check_redis",
    "down",
    "endpoint",
    "postgres_url",
    "redis_cluster",
    "redis_url",
    "resolve",
    "running_embedded",
    "server_versions",
    "sqlite_url",
    "status",
    "up",
    "version_of",
]
