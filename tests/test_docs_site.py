"""The documentation site builds with ``mkdocs build --strict``, and what it builds holds together.

The site is built once per module from a temporary copy of ``mkdocs.yml`` and ``docs/`` in which
``docs/notebooks/`` holds the notebooks as executed by :mod:`executed_notebooks` (each notebook runs once
per test session, shared with the notebook tests) and mkdocs-jupyter's own execution is switched off
(``KURSK_SIM_DOCS_EXECUTE=false``). Then: every page of the navigation and every notebook is there as
HTML, no internal link or anchor is broken, and every image a page shows is a non-empty file. The
command-line reference is checked to be what ``docs/make_cli.py`` generates from the parser.
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

try:
    from executed_notebooks import executed, notebook_names
except ImportError:  # the shared module is not there yet: execute here, once per module

    def notebook_names() -> list[str]:
        return sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))

    def executed(name: str) -> Path:
        import tempfile

        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        with tempfile.TemporaryDirectory() as cwd:
            NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()
        out = Path(tempfile.mkdtemp()) / name
        nbformat.write(nb, out)
        return out


class _Links(HTMLParser):
    """The ids of a page and the local targets of its href and src attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if name in ("href", "src") and value:
                self.links.append((tag, name, value))


def _nav_pages(nav: list) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages += _nav_pages(value)
        elif isinstance(value, str) and not value.startswith(("http://", "https://")):
            pages.append(value)
    return pages


def _html_of(page: str) -> str:
    """The built file of a Markdown or notebook page (``use_directory_urls``)."""
    stem = page.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return stem + ".html"
    return stem + "/index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("docs-site")
    shutil.copy(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    shutil.copytree(
        DOCS, work / "docs", ignore=shutil.ignore_patterns("__pycache__", "notebooks", ".ipynb_checkpoints")
    )
    (work / "docs" / "notebooks").mkdir()
    for name in notebook_names():
        shutil.copy(executed(name), work / "docs" / "notebooks" / name)
    env = dict(os.environ, KURSK_SIM_DOCS_EXECUTE="false", NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(work / "site")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    return work / "site"


def test_every_page_of_the_navigation_and_every_notebook_is_built(site: Path) -> None:
    from mkdocs.config import load_config

    nav = load_config(str(ROOT / "mkdocs.yml")).nav
    pages = _nav_pages(nav) + [f"notebooks/{name}" for name in notebook_names()]
    missing = [page for page in pages if not (site / _html_of(page)).is_file()]
    assert missing == []
    for name in notebook_names():  # the download link of each notebook page
        assert (site / "notebooks" / Path(name).stem / name).is_file(), name


def test_no_internal_link_is_broken_and_every_image_is_a_file(site: Path) -> None:
    parsed: dict[Path, _Links] = {}
    for html in site.rglob("*.html"):
        parsed[html] = _Links()
        parsed[html].feed(html.read_text(encoding="utf-8"))
    broken, empty, anchors = [], [], []
    for html, page in parsed.items():
        for tag, attr, value in page.links:
            url = urlsplit(value)
            if url.scheme or url.netloc or value.startswith(("mailto:", "javascript:", "data:")):
                continue
            if not url.path:
                target = html
            elif url.path.startswith("/"):  # the 404 page links from the site's root
                target = (site / unquote(url.path).lstrip("/")).resolve()
            else:
                target = (html.parent / unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{html.relative_to(site)}: {tag} {attr}={value}"
            if not target.is_file():
                broken.append(where)
                continue
            if tag == "img" and target.stat().st_size == 0:
                empty.append(where)
            fragment = unquote(url.fragment)
            if fragment and target.suffix == ".html" and target in parsed and fragment not in parsed[target].ids:
                anchors.append(where)
    assert broken == []
    assert empty == []
    assert anchors == []


def test_every_figure_of_the_docs_is_a_non_empty_file() -> None:
    for png in DOCS.rglob("*.png"):
        assert png.stat().st_size > 0, png


def test_the_command_line_reference_is_current() -> None:
    page = runpy.run_path(str(DOCS / "make_cli.py"))["cli_page"]()
    assert (DOCS / "reference" / "cli.md").read_text(encoding="utf-8") == page


def test_the_notebooks_are_seen_through_the_docs_folder() -> None:
    link = DOCS / "notebooks"
    assert link.is_symlink() and link.resolve() == (ROOT / "notebooks").resolve()
