"""MkDocs hooks of the documentation site (mkdocs.yml ``hooks:``).

- Every notebook of ``notebooks/`` (seen through the ``docs/notebooks`` symbolic link) is added to the
  *Notebooks* section of the navigation, titled by its first heading, so that a new notebook appears on
  the site without editing mkdocs.yml. Those listed in :data:`ORDER` come first, in that order.
- ``<!-- notebooks -->`` in a page is replaced by a table of the notebooks: title, what it does (the first
  paragraph of its first cell) and a link to download it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: Notebooks shown first, in this order; any other follows by file name.
ORDER = (
    "kursk_projection.ipynb",
    "whatif_and_sweeps.ipynb",
    "experiments.ipynb",
    "sensitivity.ipynb",
    "calibration.ipynb",
    "another_front.ipynb",
    "extending_with_a_process.ipynb",
)
MARKER = "<!-- notebooks -->"
SECTION = "Notebooks"


def _notebooks(docs_dir: Path) -> list[Path]:
    found = {p.name: p for p in (docs_dir / "notebooks").glob("*.ipynb")}
    first = [found.pop(name) for name in ORDER if name in found]
    return first + [found[name] for name in sorted(found)]


def _intro(path: Path) -> tuple[str, str]:
    """The notebook's title (its first heading) and its first paragraph after it."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = source.strip().splitlines()
        if lines and lines[0].startswith("# "):
            paragraphs = "\n".join(lines[1:]).strip().split("\n\n")
            return lines[0][2:].strip(), " ".join(paragraphs[0].split()) if paragraphs[0] else ""
    return path.stem.replace("_", " "), ""


def _first_sentences(text: str, limit: int = 320) -> str:
    """Whole sentences of ``text`` up to about ``limit`` characters (at least one), for a table cell."""
    out = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text.replace("|", "/")):
        if out and len(out) + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    if out.endswith(":"):  # a sentence that introduces a list, which the cell does not show
        out = out[:-1].rstrip() + "."
    return out


def on_config(config: Any) -> Any:
    """Add every notebook not already in the *Notebooks* section of the navigation."""
    docs_dir = Path(config["docs_dir"])
    for section in config["nav"] or []:
        if isinstance(section, dict) and SECTION in section:
            entries = section[SECTION]
            listed = {e if isinstance(e, str) else next(iter(e.values())) for e in entries}
            for path in _notebooks(docs_dir):
                target = f"notebooks/{path.name}"
                if target not in listed:
                    entries.append({_intro(path)[0]: target})
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the marker with the table of notebooks."""
    if MARKER not in markdown:
        return markdown
    rows = ["| notebook | what it asks |", "| --- | --- |"]
    for path in _notebooks(Path(config["docs_dir"])):
        title, intro = _intro(path)
        rows.append(f"| [{title}](notebooks/{path.name}) (`{path.name}`) | {_first_sentences(intro)} |")
    return markdown.replace(MARKER, "\n".join(rows))
