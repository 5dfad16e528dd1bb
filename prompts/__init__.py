"""Prompt and wording templates, kept as ``.txt`` files and loaded by name.

A name is a path under this package without the ``.txt`` suffix, e.g.
``offline/greeting``. A template may hold several variants separated by a line
containing only ``---``; :func:`render` picks one from a seed so replies vary
between turns yet stay reproducible. Placeholders use :class:`string.Template`
syntax (``$item`` or ``${item}``). Every template and its variables are listed
in ``prompts/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from string import Template

__all__ = ["join_reasons", "load", "names", "render", "variables", "variants"]

VARIANT_SEPARATOR = "---"
_SUFFIX = ".txt"
# Names are used to build file paths, so only plain relative segments are allowed.
_NAME = re.compile(r"^[a-z0-9_]+(?:/[a-z0-9_]+)*$")
_SEPARATOR_LINE = re.compile(rf"^[ \t]*{re.escape(VARIANT_SEPARATOR)}[ \t]*$", re.MULTILINE)


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(
            f"invalid template name {name!r}: use lower-case path segments like 'offline/greeting'"
        )


@cache
def load(name: str) -> str:
    """Return the raw text of template ``name`` (all variants, separators included).

    Raises :class:`FileNotFoundError` naming the template when there is no such file.
    """
    _check_name(name)
    resource = resources.files(__name__).joinpath(*f"{name}{_SUFFIX}".split("/"))
    if not resource.is_file():
        raise FileNotFoundError(f"no prompt template named {name!r} (looked for {name}{_SUFFIX})")
    return resource.read_text(encoding="utf-8")


@cache
def variants(name: str) -> tuple[str, ...]:
    """Return the variants of template ``name``, each stripped of surrounding blank space."""
    parts = (part.strip() for part in _SEPARATOR_LINE.split(load(name)))
    found = tuple(part for part in parts if part)
    if not found:
        raise ValueError(f"prompt template {name!r} is empty")
    return found


def variables(name: str) -> frozenset[str]:
    """Return every ``$variable`` any variant of template ``name`` uses."""
    found: set[str] = set()
    for text in variants(name):
        found.update(Template(text).get_identifiers())
    return frozenset(found)


def render(name: str, *, variant: int = 0, **values: object) -> str:
    """Fill template ``name`` with ``values``, choosing variant ``variant % count``.

    Extra values are ignored (variants may use different subsets); a missing one
    raises :class:`KeyError` naming both the template and the variable.
    """
    options = variants(name)
    text = options[variant % len(options)]
    try:
        return Template(text).substitute({key: str(value) for key, value in values.items()})
    except KeyError as missing:
        raise KeyError(f"prompt template {name!r} needs a value for ${missing.args[0]}") from None
    except ValueError as bad:
        raise ValueError(f"prompt template {name!r} has a malformed placeholder: {bad}") from None


def names() -> list[str]:
    """Return the name of every template shipped in this package, sorted."""
    found: list[str] = []

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name.endswith(_SUFFIX):
                found.append(prefix + entry.name.removesuffix(_SUFFIX))

    walk(resources.files(__name__), "")
    return sorted(found)


def join_reasons(phrases: Sequence[str], *, variant: int = 0) -> str:
    """Join reason phrases into one "Because …" sentence.

    One phrase uses ``reasons/because_one``; more use ``reasons/because_many`` with
    all but the last joined by commas ("Because A, B, and C."). No phrases: "".
    """
    kept = [phrase.strip() for phrase in phrases if phrase.strip()]
    if not kept:
        return ""
    if len(kept) == 1:
        return render("reasons/because_one", variant=variant, only=kept[0])
    return render("reasons/because_many", variant=variant, rest=", ".join(kept[:-1]), last=kept[-1])
