"""The library raises only labkit errors: no `raise ValueError(...)` or other builtin outside labkit.errors' types.

Callers catch `LabkitError` (or a builtin, which each labkit error keeps as a second base); a bare
builtin raised by the library would slip past the first. Re-raising a caught exception is fine.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from pathlib import Path

import labkit

LIBRARY = Path(labkit.__file__).parent
# Packages of labkit/ the check skips: the lab has its own errors (labkit.lab.errors) and rules.
EXCLUDED = ("lab",)
BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)


def library_files(root: Path = LIBRARY, excluded: tuple[str, ...] = EXCLUDED) -> Iterator[Path]:
    """Every module under `root` outside the `excluded` packages."""
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] not in excluded:
            yield path


def _raised_builtin(node: ast.Raise) -> str | None:
    """The builtin exception class a `raise` statement creates, if any (`raise` alone re-raises)."""
    target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    if isinstance(target, ast.Name) and target.id in BUILTIN_EXCEPTIONS:
        return target.id
    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
            and target.value.id == "builtins" and target.attr in BUILTIN_EXCEPTIONS):
        return f"builtins.{target.attr}"
    return None


def builtin_raises(root: Path = LIBRARY, excluded: tuple[str, ...] = EXCLUDED) -> list[str]:
    """`path:line: raise Name` for each raise of a builtin exception class in the library's modules."""
    found = []
    for path in library_files(root, excluded):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        raises = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Raise)), key=lambda n: n.lineno)
        for node in raises:
            if (name := _raised_builtin(node)) is not None:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: raise {name}")
    return found


def test_the_library_raises_no_builtin_exception() -> None:
    found = builtin_raises()
    assert not found, "raise a labkit.errors type (keeping the builtin as a second base) instead of:\n" + "\n".join(
        found
    )


def test_the_check_reads_the_data_layer_and_skips_the_excluded_packages() -> None:
    files = {path.relative_to(LIBRARY).as_posix() for path in library_files()}
    assert {"errors.py", "settings.py", "secrets.py", "db/engines.py", "monitor/query_monitor.py"} <= files
    assert not any(name.split("/")[0] in EXCLUDED for name in files)


def test_a_planted_builtin_raise_is_reported_with_file_and_line(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "module.py").write_text('def check(x):\n    if not x:\n        raise ValueError("x")\n')
    assert builtin_raises(package, excluded=()) == ["planted/module.py:3: raise ValueError"]


def test_bare_builtins_and_qualified_builtins_are_reported(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    package.mkdir()
    (package / "module.py").write_text("import builtins\n\nraise TypeError\nraise builtins.KeyError('k')\n")
    assert builtin_raises(package, excluded=()) == [
        "planted/module.py:3: raise TypeError",
        "planted/module.py:4: raise builtins.KeyError",
    ]


def test_reraising_and_labkit_errors_are_not_reported(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    package.mkdir()
    (package / "module.py").write_text(
        "from labkit.errors import BulkInputError\n\n"
        "def check(x):\n"
        "    try:\n"
        "        int(x)\n"
        "    except ValueError as error:\n"
        "        if x == '':\n"
        "            raise\n"
        "        if x == ' ':\n"
        "            raise error\n"
        "        raise BulkInputError(f'x={x!r} is not valid') from error\n"
    )
    assert builtin_raises(package, excluded=()) == []


def test_excluded_packages_are_skipped(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    (package / "lab").mkdir(parents=True)
    (package / "lab" / "module.py").write_text('raise ValueError("x")\n')
    assert builtin_raises(package, excluded=("lab",)) == []
    assert builtin_raises(package, excluded=()) == ["planted/lab/module.py:1: raise ValueError"]


# Builtins that are part of a Python protocol rather than an error report: a CLI's exit, a mapping's or a
# module's missing name, a re-raised interrupt, a measured workload's sanity check.
PROTOCOL_RAISES = frozenset({"SystemExit", "KeyboardInterrupt", "AttributeError", "KeyError", "AssertionError",
                             "ModuleNotFoundError", "NotImplementedError", "StopIteration"})


def test_the_lab_raises_lab_errors_for_bad_input() -> None:
    """The lab has its own types (labkit.lab.errors), each keeping a builtin base, so `LabkitError` catches all."""
    found = [line for line in builtin_raises(LIBRARY / "lab", excluded=())
             if line.rsplit("raise ", 1)[1].removeprefix("builtins.") not in PROTOCOL_RAISES]
    assert not found, "raise a labkit.lab.errors type instead of:\n" + "\n".join(found)
