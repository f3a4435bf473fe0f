"""run_rounds: every case once per round, order rotating, an untimed step between rounds."""

from __future__ import annotations

import pytest

from labkit.lab.bench.rounds import run_rounds


def _recording(log: list[str]) -> dict[str, object]:
    def case(name: str) -> object:
        def run() -> None:
            log.append(name)

        run.__doc__ = f"case {name}"
        return run

    return {name: case(name) for name in ("a", "b", "c")}


def test_each_round_runs_every_case_once_in_rotating_order() -> None:
    log: list[str] = []
    run_rounds(_recording(log), repeats=3, warmups=0)  # type: ignore[arg-type]
    assert log == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_between_runs_before_every_round_including_warmups() -> None:
    log: list[str] = []
    run_rounds(_recording(log), repeats=2, warmups=1, between=lambda: log.append("|"))  # type: ignore[arg-type]
    assert log == ["|", "a", "b", "c", "|", "b", "c", "a", "|", "c", "a", "b"]


def test_warmups_are_stored_apart_and_labels_come_from_docstrings() -> None:
    measured = run_rounds(_recording([]), repeats=4, warmups=2)  # type: ignore[arg-type]
    assert {name: (len(m.samples), len(m.warmups)) for name, m in measured.items()} == {
        "a": (4, 2), "b": (4, 2), "c": (4, 2)}
    assert measured["b"].label == "case b"


def test_slow_cases_take_part_in_the_first_timed_rounds_only_without_warmup() -> None:
    log: list[str] = []
    measured = run_rounds(_recording(log), repeats=3, warmups=1, repeats_of={"a": 2})  # type: ignore[arg-type]
    assert log == ["b", "c", "b", "c", "a", "c", "a", "b", "c", "b"]
    assert (len(measured["a"].samples), len(measured["a"].warmups)) == (2, 0)
    assert (len(measured["b"].samples), len(measured["b"].warmups)) == (3, 1)


def test_bad_counts_and_unknown_slow_cases_are_refused() -> None:
    with pytest.raises(ValueError, match="repeats=0"):
        run_rounds(_recording([]), repeats=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'z', which is not a case"):
        run_rounds(_recording([]), repeats=1, repeats_of={"z": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one case"):
        run_rounds({}, repeats=1)
