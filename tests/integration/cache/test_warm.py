"""Warming a cache before traffic: keys in batches, values from a loader, pipelined writes, progress."""

from __future__ import annotations

import pytest

from labkit.errors import CacheArgumentError


class Loader:
    """Loads rows by id, as a query would; records each chunk it was asked for."""

    def __init__(self) -> None:
        self.chunks: list[list[int]] = []

    def __call__(self, ids: list[int]) -> dict[str, dict[str, int]]:
        self.chunks.append(list(ids))
        return {f"row:{i}": {"id": i} for i in ids}


async def test_every_key_is_loaded_in_batches_and_written_with_its_ttl(cache, aw) -> None:
    load, seen = Loader(), []
    written = await aw(cache.warm(range(250), load, ttl=60, batch=100,
                                  progress=lambda done, total: seen.append((done, total))))
    assert written == 250
    assert [len(c) for c in load.chunks] == [100, 100, 50]
    assert seen == [(100, 250), (200, 250), (250, 250)]
    assert await aw(cache.get_many(["row:0", "row:249"])) == {"row:0": {"id": 0}, "row:249": {"id": 249}}
    assert 55 < await aw(cache.ttl("row:123")) <= 60


async def test_an_iterator_of_keys_reports_progress_without_a_total(cache, aw) -> None:
    seen: list[tuple[int, int | None]] = []
    await aw(cache.warm(iter(range(5)), Loader(), batch=2, progress=lambda d, t: seen.append((d, t))))
    assert seen == [(2, None), (4, None), (5, None)]


async def test_an_async_cache_takes_a_coroutine_loader(cache, mode, aw) -> None:
    if mode != "async":
        pytest.skip("a coroutine loader is for AsyncCache")
    load = Loader()

    async def aload(ids: list[int]) -> dict[str, dict[str, int]]:
        return load(ids)

    assert await cache.warm([1, 2, 3], aload, batch=2) == 3
    assert await cache.get("row:3") == {"id": 3}


@pytest.mark.parametrize("batch", [0, -1, 1.5, True])
async def test_a_bad_batch_size_is_refused_naming_it(cache, batch, aw) -> None:
    with pytest.raises(CacheArgumentError, match="batch must be an integer >= 1"):
        await aw(cache.warm([1], Loader(), batch=batch))
