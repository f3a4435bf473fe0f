"""Serializers compared on the realistic payloads: sizes, fidelity, timings as tidy rows."""

from __future__ import annotations

import pytest

from labkit.cache import dumps, loads
from labkit.errors import CacheArgumentError
from labkit.lab.experiments.cache.codecs import CODECS, codec_sizes, measure_codecs
from labkit.lab.experiments.cache.payloads import RECORD, payloads, rich_record


def test_every_payload_round_trips_through_the_cache_serializer() -> None:
    for name, value in payloads().items():
        assert loads(dumps(value)) == value, name


def test_sizes_give_a_row_per_payload_and_serializer() -> None:
    frame = codec_sizes(payloads(), ["msgpack", "json", "pickle"])
    assert len(frame) == len(payloads()) * 3
    assert set(frame["unit"]) == {"bytes"} and (frame["value"] > 0).all()
    row = frame[(frame["payload"] == "user record") & (frame["codec"] == "msgpack")].iloc[0]
    assert row["value"] == len(dumps(RECORD))


def test_json_loses_the_types_it_lacks_and_msgpack_keeps_them() -> None:
    frame = codec_sizes({"rich": rich_record()}, ["msgpack", "json", "pickle", "msgpack-plain"])
    fidelity = frame.set_index("codec")["round_trips"]
    assert fidelity["msgpack"] and fidelity["pickle"]
    assert not fidelity["json"] and not fidelity["msgpack-plain"]


def test_timings_have_an_encode_and_a_decode_case_per_serializer() -> None:
    frame = measure_codecs({"user record": RECORD}, ["msgpack", "json"], repeats=3, warmups=1, sample_s=1e-5)
    samples = frame[frame["phase"] == "sample"]
    assert sorted(samples["case"].unique()) == ["json decode", "json encode", "msgpack decode", "msgpack encode"]
    assert set(samples["op"]) == {"encode", "decode"} and set(samples["codec"]) == {"msgpack", "json"}
    assert (samples.groupby("case").size() == 3).all()
    assert set(samples["label"]) == set(samples["case"])


def test_an_unknown_serializer_is_named() -> None:
    with pytest.raises(CacheArgumentError, match=r"unknown serializer\(s\) \['yaml'\]; choose from msgpack"):
        codec_sizes({"r": RECORD}, ["yaml"])
    assert set(CODECS) == {"msgpack", "msgpack-plain", "json", "pickle"}
