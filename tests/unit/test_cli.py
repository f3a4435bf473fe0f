"""The `labkit` command explains itself: version, help without arguments, a line per command."""

from __future__ import annotations

import argparse

import pytest

from labkit import __version__
from labkit.lab.cli import _parser, main


def test_a_bare_labkit_prints_the_help_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: labkit") and "commands:" in out


def test_version_names_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"labkit {__version__}"


def test_every_command_has_a_one_line_description_in_the_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    listed = out.split("commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]  # after the COMMAND line
    commands = next(a for a in _parser()._actions if a.nargs == argparse.PARSER).choices
    assert [line.split()[0] for line in listed] == list(commands), "one line per command, in order"
    for line in listed:
        assert len(line.split(maxsplit=1)) == 2, f"no description on the line of {line.strip()!r}"


def test_help_params_lists_each_parameter_with_type_default_and_meaning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "00_environment", "--help-params"]) == 0
    out = capsys.readouterr().out
    assert "00_environment: parameters of" in out
    row = next(line for line in out.splitlines() if line.split()[:1] == ["repeats"])
    assert row.split()[1:3] == ["int", "200"] and "timed round trips per backend (at least 1)" in row
    assert '["sqlite", "postgresql", "redis"]' in out
    assert "experiments/environment/tiny.yaml" in out


def test_help_params_of_an_unknown_notebook_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "nosuch", "--help-params"]) == 2
    assert "no notebook named 'nosuch'" in capsys.readouterr().err
