"""The `labkit` command line (filled in by the report and services modules)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("labkit", file=sys.stderr)
    return 0
