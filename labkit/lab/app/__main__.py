"""`python -m labkit.lab.app --port 8003`: serve the demo service with uvicorn (mode from LABKIT_APP_MODE)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse host, port and mode, then run uvicorn until stopped."""
    import logging

    import uvicorn

    from labkit.lab.app.config import MODES, AppConfig
    from labkit.lab.app.service import create_app

    parser = argparse.ArgumentParser(prog="python -m labkit.lab.app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8003)
    parser.add_argument("--mode", choices=MODES, help="overrides LABKIT_APP_MODE")
    parser.add_argument("--seed-students", type=int, metavar="N",
                        help="first (re)create the demo data with N students in LABKIT_APP_SCHEMA")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = AppConfig.from_env()
    if args.mode:
        config = dataclasses.replace(config, mode=args.mode)
    if args.seed_students:
        from labkit.lab.app.database import prepare_database

        print(prepare_database(config, students=args.seed_students), flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
