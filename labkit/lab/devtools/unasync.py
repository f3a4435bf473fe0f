"""Generate the sync cache code from its asyncio source, or check the committed copy is current.

`labkit/cache/_async/*.py` is the source; `labkit/cache/_sync/*.py` is written from it by the
`unasync` package (as httpcore and redis-py do): `async`/`await` dropped, names renamed.
Run `python -m labkit.lab.devtools.unasync` (or `make unasync`) after editing `_async`;
`--check` exits 1 naming each stale file, and a test runs the same check.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import unasync

__all__ = ["REPLACEMENTS", "SOURCE", "TARGET", "generate", "stale_files", "main"]


def _package_dir(name: str) -> Path:
    """Where package `name` lives, found without importing it (a stale `_sync` may not import)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {name!r} not found")
    return Path(spec.submodule_search_locations[0])


SOURCE = _package_dir("labkit.cache") / "_async"
TARGET = _package_dir("labkit.cache") / "_sync"

# Names (and strings that are exactly a name) renamed in the sync twin; `async`/`await` go anyway.
REPLACEMENTS = {
    "_async": "_sync",
    "async": "sync",  # the string "async", as in default_cache("async")
    "asyncio": "time",  # asyncio.sleep -> time.sleep: sources import asyncio for nothing else
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "AsyncBackend": "Backend",
    "AsyncCache": "Cache",
    "AsyncCachedFunction": "CachedFunction",
    "AsyncFunction": "Function",
    "AsyncMemoryBackend": "MemoryBackend",
    "AsyncRedisBackend": "RedisBackend",
    "AsyncRedisPool": "RedisPool",
    "AsyncRedisClusterBackend": "RedisClusterBackend",
    "AsyncClusterMap": "ClusterMap",
    "AsyncNearCacheBackend": "NearCacheBackend",
    "AsyncInvalidationListener": "InvalidationListener",
    "AsyncListenerGroup": "ListenerGroup",
    "AsyncSingleFlight": "SingleFlight",
}
_HEADER = "# Generated from labkit/cache/_async/{name} by `make unasync`: do not edit.\n"


def generate(source: Path = SOURCE, target: Path = TARGET) -> list[Path]:
    """Write the sync twin of every module in `source` into `target`, and delete twins whose
    source is gone; the files written."""
    rule = unasync.Rule(str(source), str(target), additional_replacements=REPLACEMENTS)
    modules = sorted(source.glob("*.py"))
    unasync.unasync_files([str(p) for p in modules], [rule])
    written = []
    for module in modules:
        out = target / module.name
        out.write_text(_HEADER.format(name=module.name) + out.read_text())
        written.append(out)
    for orphan in sorted(set(target.glob("*.py")) - set(written)):
        orphan.unlink()
    return written


def stale_files(source: Path = SOURCE, target: Path = TARGET) -> list[Path]:
    """The files of `target` that differ from what `source` generates, are missing, or are extra."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / target.name
        fresh.mkdir()
        expected = {p.name: p.read_text() for p in generate(source, fresh)}
    names = sorted(set(expected) | {p.name for p in target.glob("*.py")})
    stale = []
    for name in names:
        path = target / name
        if not path.is_file() or name not in expected or path.read_text() != expected[name]:
            stale.append(path)
    return stale


def main(check: bool = False, source: Path = SOURCE, target: Path = TARGET) -> None:
    """Write the sync files; with `check`, write nothing and exit 1 naming each stale file."""
    if not check:
        for path in generate(source, target):
            print(f"wrote {path}")
        return
    stale = stale_files(source, target)
    for path in stale:
        print(f"stale: {path} (run `make unasync`)", file=sys.stderr)
    if stale:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    main(check=parser.parse_args().check)
