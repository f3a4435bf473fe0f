"""Executed notebooks to self-contained HTML: a reviewer view (no code) and a full view."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from labkit.secrets import mask_text

__all__ = ["TEMPLATE_DIR", "to_html", "scrub_notebook_file"]

TEMPLATE_DIR = Path(__file__).with_name("templates")


def _exporter(reviewer: bool) -> HTMLExporter:
    exporter = HTMLExporter(
        template_name="labkit",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=reviewer,
        exclude_input_prompt=reviewer,
        exclude_output_prompt=reviewer,
        embed_images=True,
    )
    return exporter


def to_html(
    notebook_path: str | Path, html_path: str | Path, *, reviewer: bool, title: str,
    secrets: Iterable[str] = (),
) -> Path:
    """Render one view of an executed notebook; images are inline, no script is fetched."""
    notebook = nbformat.read(Path(notebook_path), as_version=4)
    notebook.metadata["title"] = title
    body, _ = _exporter(reviewer).from_notebook_node(notebook, resources={"metadata": {"name": title}})
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mask_text(body, secrets), encoding="utf-8")
    return out


def scrub_notebook_file(path: str | Path, secrets: Iterable[str]) -> None:
    """Mask URL passwords and given secrets anywhere in an executed notebook, in place."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    masked = mask_text(text, secrets)
    if masked != text:
        path.write_text(masked, encoding="utf-8")
