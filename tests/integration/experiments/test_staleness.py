"""The near cache's staleness window is measured from real invalidations, one sample per write."""

from __future__ import annotations

from labkit.lab.experiments.cache.staleness import measure_staleness, staleness_summary


def test_each_write_by_another_client_gives_one_positive_sample(redis_url: str) -> None:
    samples = measure_staleness(redis_url, samples=20)
    assert 15 <= len(samples) <= 20
    assert all(s > 0 for s in samples)
    assert staleness_summary(samples).endswith(f"over {len(samples)} writes")
