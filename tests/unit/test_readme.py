"""The README's settings table lists every setting with its real default."""

from __future__ import annotations

from pathlib import Path

from labkit.settings import SETTING_SPECS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    for spec in SETTING_SPECS:
        default = f"`{spec.default}`" if spec.default else "*(empty)*"
        assert f"| `{spec.variable}` | {default} |" in README, spec.variable


def test_quick_start_has_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make lab", "make test"]
