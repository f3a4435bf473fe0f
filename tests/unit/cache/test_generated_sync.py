"""The sync cache code is generated from the asyncio source, and the committed copy is current."""

from __future__ import annotations

import shutil
import tokenize
from pathlib import Path

import pytest

from labkit.lab.devtools import unasync


@pytest.fixture
def generated(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the asyncio source and the sync code freshly generated from it."""
    source, target = tmp_path / "_async", tmp_path / "_sync"
    shutil.copytree(unasync.SOURCE, source)
    target.mkdir()
    unasync.generate(source, target)
    return source, target


def test_the_committed_sync_code_is_what_the_asyncio_source_generates():
    assert unasync.stale_files() == [], "run `make unasync` and commit labkit/cache/_sync"


def test_every_asyncio_module_has_a_generated_twin_marked_do_not_edit():
    for module in unasync.SOURCE.glob("*.py"):
        twin = unasync.TARGET / module.name
        assert twin.read_text().startswith(f"# Generated from labkit/cache/_async/{module.name} ")
        assert "do not edit" in twin.read_text().splitlines()[0]


def test_the_sync_twin_has_no_async_await_or_asyncio_left():
    for twin in unasync.TARGET.glob("*.py"):
        with twin.open("rb") as f:
            names = {t.string for t in tokenize.tokenize(f.readline) if t.type == tokenize.NAME}
        assert not {"async", "await", "asyncio"} & names, twin.name


def test_a_change_in_the_source_makes_its_twin_stale(generated):
    source, target = generated
    assert unasync.stale_files(source, target) == []
    module = source / "backend.py"
    module.write_text(module.read_text().replace('"""The bytes under `key`, or None."""', '"""The bytes."""'))
    assert unasync.stale_files(source, target) == [target / "backend.py"]


def test_a_hand_edit_and_a_twin_without_source_are_stale_until_regenerated(generated):
    source, target = generated
    edited = target / "backend.py"
    edited.write_text(edited.read_text() + "\n# a quick fix\n")
    (target / "orphan.py").write_text('"""Left behind by a deleted source."""\n')
    assert unasync.stale_files(source, target) == [target / "backend.py", target / "orphan.py"]
    unasync.generate(source, target)
    assert unasync.stale_files(source, target) == [] and not (target / "orphan.py").exists()


def test_check_mode_exits_1_naming_each_stale_file(generated, capsys):
    source, target = generated
    module = source / "backend.py"
    module.write_text(module.read_text() + "\n_PLANTED = 1\n")
    with pytest.raises(SystemExit) as exit_:
        unasync.main(check=True, source=source, target=target)
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines() == [f"stale: {target / 'backend.py'} (run `make unasync`)"]
    unasync.main(check=False, source=source, target=target)
    unasync.main(check=True, source=source, target=target)  # regenerated: current again
    assert "_PLANTED = 1" in (target / "backend.py").read_text()
