"""`labkit run` says which embedded servers it leaves running, and how to stop them."""

from __future__ import annotations

import pytest

from labkit.lab import services
from labkit.lab.cli import main
from labkit.settings import Settings

pytestmark = pytest.mark.notebook


def test_run_names_the_embedded_server_it_started_and_leaves_running(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local = settings.with_overrides(redis_url="")
    for name, value in local.as_environ().items():
        monkeypatch.setenv(name, value)
    try:
        code = main(["run", "00_environment", "-p", "repeats=3", "-p", "warmups=0", "-p", "aa_repeats=3",
                     "-p", "backends=[redis]"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "embedded redis left running for the next runs; stop with `labkit services down`" in out
        assert {r.name for r in services.status(local) if r.source == "embedded" and r.running} == {"redis"}
    finally:
        services.down(local)
