"""A Griffe extension for the API reference: Sphinx roles in docstrings become inline code.

The docstrings follow numpydoc and cite other objects with Sphinx roles (``:func:`simulate```,
``:class:`~kursk_sim.errors.ScenarioError```), which Markdown would show as written. This extension,
loaded by mkdocstrings (``extensions:`` in mkdocs.yml), rewrites each role as inline code of its target
(the last component for a ``~`` target), and leaves the rest of the docstring as it is.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|exc|obj|const|ref|term):`(~?)([^`<]+?)(?:\s*<([^>]+)>)?`")


def _code(match: re.Match[str]) -> str:
    tilde, target, explicit = match.groups()
    text = (explicit and target.strip()) or target
    if tilde:
        text = text.rsplit(".", 1)[-1]
    return f"`{text}`"


def without_roles(text: str) -> str:
    """``text`` with every Sphinx role written as inline code."""
    return ROLE.sub(_code, text)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring as inline code."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = without_roles(obj.docstring.value)
