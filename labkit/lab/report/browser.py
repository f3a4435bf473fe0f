"""Reports checked the way a reviewer sees them: in headless Chromium, offline, link by link.

Every page linked from `index.html` is opened; a page fails when a chart does not load, when a
chart the notebook produced is missing, when the console shows an error, when it asks for
anything but local files, or when its text contains a secret. Screenshots go to
`reports/screenshots/`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

from labkit.lab.errors import ServiceError

__all__ = ["PageProblem", "BrowserCheck", "find_chromium", "check_reports"]

CHROMIUM_ENV = "LABKIT_CHROMIUM"
_CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
]
_LOCAL_SCHEMES = ("file", "data", "about", "blob")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


@dataclass(frozen=True)
class PageProblem:
    """One thing wrong with one page; `detail` never repeats a secret."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


@dataclass
class BrowserCheck:
    """What the browser saw: the pages opened, the problems found, the screenshots taken."""

    pages: list[str] = field(default_factory=list)
    problems: list[PageProblem] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_chromium() -> str:
    """The Chromium binary to drive (`LABKIT_CHROMIUM`, else `chromium` on PATH)."""
    for candidate in (os.environ.get(CHROMIUM_ENV), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise ServiceError(
        "no Chromium found for the browser check: install Debian's 'chromium' package "
        f"(`make browser`) or set {CHROMIUM_ENV} to a Chromium binary"
    )


def _expected_charts(reports_dir: Path, html_path: Path) -> int:
    """Charts the executed notebook behind a report produced (0 for pages without one)."""
    name = html_path.name.removesuffix(".full.html").removesuffix(".html")
    executed = reports_dir / "executed" / f"{name}.ipynb"
    if not executed.is_file():
        return 0
    nb = nbformat.read(executed, as_version=4)
    return sum(
        1 for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
        if any(t in out.get("data", {}) for t in _IMAGE_TYPES)
    )


def _local_target(base: Path, href: str) -> Path | None:
    parts = urlsplit(href)
    if parts.scheme and parts.scheme != "file":
        return None
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if not parts.path:
        return base  # an in-page anchor
    return (base.parent / unquote(parts.path)).resolve()


def check_reports(
    reports_dir: str | Path,
    *,
    secrets: Iterable[str] = (),
    screenshots: bool = True,
    summary_page: str = "99_summary",
    timeout_ms: float = 15_000,
) -> BrowserCheck:
    """Open index.html and every report it links in headless Chromium and collect problems."""
    from playwright.sync_api import ConsoleMessage, Error, sync_playwright

    reports = Path(reports_dir).resolve()
    index = reports / "index.html"
    result = BrowserCheck()
    if not index.is_file():
        result.problems.append(PageProblem("index.html", "missing", f"no index at {index}"))
        return result
    secret_list = [s for s in secrets if s]
    shots = reports / "screenshots"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=_CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            external: list[str] = []

            def guard(route, request) -> None:  # type: ignore[no-untyped-def]
                if urlsplit(request.url).scheme in _LOCAL_SCHEMES:
                    route.continue_()
                else:
                    external.append(request.url)
                    route.abort()

            context.route("**/*", guard)
            queue, seen = [index], set()
            while queue:
                path = queue.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                label = str(path.relative_to(reports)) if path.is_relative_to(reports) else str(path)
                result.pages.append(label)
                page = context.new_page()
                console: list[str] = []

                def on_console(message: ConsoleMessage, sink: list[str] = console) -> None:
                    if message.type == "error":
                        sink.append(message.text)

                def on_page_error(error: Error, sink: list[str] = console) -> None:
                    sink.append(str(error))

                page.on("console", on_console)
                page.on("pageerror", on_page_error)
                external.clear()
                page.goto(path.as_uri(), wait_until="load", timeout=timeout_ms)
                images = page.evaluate(
                    "Array.from(document.images).map(i => ({ok: i.complete && i.naturalWidth > 0,"
                    " w: i.naturalWidth, src: (i.getAttribute('src') || '').slice(0, 40)}))"
                )
                for image in images:
                    if not image["ok"]:
                        result.problems.append(PageProblem(label, "broken image", f"src={image['src']!r}"))
                expected = _expected_charts(reports, path)
                loaded = sum(1 for image in images if image["ok"])
                if loaded < expected:
                    result.problems.append(
                        PageProblem(label, "chart missing", f"{loaded} charts load, the notebook made {expected}")
                    )
                for message in console:
                    result.problems.append(PageProblem(label, "console error", message[:300]))
                for url in external:
                    result.problems.append(PageProblem(label, "external request", url[:200]))
                html = page.content()
                for i, secret in enumerate(secret_list, start=1):
                    if secret in html:
                        result.problems.append(PageProblem(label, "secret leaked", f"secret #{i} appears in the page"))
                if path == index:
                    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                        target = _local_target(path, href)
                        if target is None:
                            result.problems.append(PageProblem(label, "external link", href))
                        elif not target.is_file():
                            result.problems.append(PageProblem(label, "broken link", href))
                        elif target.suffix == ".html":
                            queue.append(target)
                shot_names = {"index.html": "index.png", f"{summary_page}.html": "summary.png",
                              "history.html": "history.png"}
                if screenshots and path.name in shot_names and path.parent in (reports, reports / "html"):
                    shots.mkdir(parents=True, exist_ok=True)
                    shot = shots / shot_names[path.name]
                    page.screenshot(path=str(shot), full_page=True)
                    result.screenshots.append(shot)
                page.close()
        finally:
            browser.close()
    return result
