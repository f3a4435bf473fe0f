"""CI renders the reports as the README promises, and pytest's summary still closes its log."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CI = (ROOT / ".ci" / "run").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def _commands(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_ci_renders_the_tiny_lab_and_checks_it_in_a_browser_before_the_tests() -> None:
    commands = _commands(CI)
    lab = next(i for i, c in enumerate(commands) if c.startswith("make lab-tiny"))
    check = next(i for i, c in enumerate(commands) if c.startswith("make check-reports"))
    tests = commands.index("make test")
    assert lab < check < tests
    assert commands[tests + 1:] == ['exit "$lab_status"'], "nothing may print after pytest's summary"


def test_the_makefile_runs_the_tiny_lab_through_labkit_report() -> None:
    assert re.search(r"^lab-tiny: .*## .+\n\t\$\(BIN\)/labkit report --tiny$", MAKEFILE, re.M)


def test_every_make_target_explains_itself_in_one_line() -> None:
    targets = re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M)
    phony = MAKEFILE.split(".PHONY:", 1)[1].split("\n", 1)[0].split()
    assert sorted(targets) == sorted(phony)
    for target in targets:
        assert re.search(rf"^{target}:.*## \S", MAKEFILE, re.M), f"`make {target}` has no help line"
