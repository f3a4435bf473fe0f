"""Serializers side by side: encoded size, round-trip fidelity and encode/decode time per payload.

`msgpack` is the cache's own serializer (`labkit.cache.dumps`/`loads`); `msgpack-plain` is the
msgpack package with no extension types; `json` falls back to `str()` for the types it lacks,
so such values come back as strings; `pickle` (protocol 5) is here for comparison only: unpickling
bytes from a shared server can run code, which is why the cache never uses it.
"""

from __future__ import annotations

import json
import math
import pickle
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import pandas as pd

from labkit.cache import serializer
from labkit.errors import CacheArgumentError
from labkit.lab.bench.results import measurements_frame
from labkit.lab.bench.runner import run_interleaved

__all__ = ["Codec", "CODECS", "codec_sizes", "measure_codecs"]


@dataclass(frozen=True)
class Codec:
    """A serializer: bytes out of a value, a value out of bytes."""

    name: str
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, default=str, separators=(",", ":")).encode()


def _msgpack_plain_dumps(value: Any) -> bytes:
    return msgpack.packb(value, default=str, use_bin_type=True)


CODECS: dict[str, Codec] = {
    "msgpack": Codec("msgpack", serializer.dumps, serializer.loads),
    "msgpack-plain": Codec("msgpack-plain", _msgpack_plain_dumps, msgpack.unpackb),
    "json": Codec("json", _json_dumps, json.loads),
    "pickle": Codec("pickle", lambda v: pickle.dumps(v, protocol=5), pickle.loads),
}


def _chosen(names: Sequence[str]) -> list[Codec]:
    unknown = [n for n in names if n not in CODECS]
    if unknown:
        raise CacheArgumentError(f"unknown serializer(s) {unknown}; choose from {', '.join(CODECS)}")
    return [CODECS[n] for n in names]


def codec_sizes(payloads: Mapping[str, Any], names: Sequence[str]) -> pd.DataFrame:
    """Tidy rows, one per payload and serializer: encoded bytes, and whether the value comes back equal."""
    rows = []
    for payload, value in payloads.items():
        for codec in _chosen(names):
            data = codec.dumps(value)
            rows.append({
                "case": f"{codec.name} size", "label": codec.name, "phase": "sample", "iteration": 0,
                "value": float(len(data)), "unit": "bytes", "payload": payload, "codec": codec.name,
                "round_trips": bool(codec.loads(data) == value),
            })
    return pd.DataFrame(rows)


def _case(fn: Callable[[Any], object], arg: Any, label: str) -> Callable[[], object]:
    """`fn(arg)` as a zero-argument case labelled `label`."""

    def case() -> object:
        return fn(arg)

    case.__doc__ = label
    return case


def _inner_for(fn: Callable[[], object], target_s: float) -> int:
    """Calls per sample so that one sample lasts about `target_s` (timer noise stays small)."""
    fn()
    started = time.perf_counter()
    fn()
    once = max(time.perf_counter() - started, 1e-7)
    return max(1, min(10_000, math.ceil(target_s / once)))


def measure_codecs(
    payloads: Mapping[str, Any], names: Sequence[str], *, repeats: int = 30, warmups: int = 3,
    sample_s: float = 2e-4,
) -> pd.DataFrame:
    """Encode and decode time of each payload with each serializer, interleaved per payload; tidy rows."""
    frames = []
    for payload, value in payloads.items():
        cases: dict[str, Callable[[], object]] = {}
        for codec in _chosen(names):
            data = codec.dumps(value)
            cases[f"{codec.name} encode"] = _case(codec.dumps, value, f"{codec.name} encode")
            cases[f"{codec.name} decode"] = _case(codec.loads, data, f"{codec.name} decode")
        inner = _inner_for(cases[next(iter(cases))], sample_s)
        measured = run_interleaved(cases, repeats=repeats, warmups=warmups, inner=inner)
        for name, m in measured.items():
            codec_name, op = name.rsplit(" ", 1)
            frames.append(measurements_frame([m], payload=payload, codec=codec_name, op=op))
    return pd.concat(frames, ignore_index=True)
