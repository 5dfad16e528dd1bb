"""The words a shop's catalog uses, so a request keeps the words that can match it.

"any nice lanterns in at the moment?" asks for lanterns: "moment" names nothing the shop
sells, and left in, it would halve every lantern's keyword match. "candels" is
"candle" mistyped: the catalog's own words are the dictionary, so any shop's products
are spelled the way that shop spells them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Literal

#: Shorter words are one keystroke from too many others to guess which was meant.
MIN_TYPO_LENGTH = 5
#: "gardening" is "garden" to a catalog that sells garden things; "ring" is not "r".
MIN_BASE_LENGTH = 3
#: "in" is "ing" with its g dropped, as people type it ("gardenin", "knittin").
_ENDINGS = ("ing", "in", "ers", "er", "ed", "y", "al", "ly")


class CatalogVocabulary:
    """Word stems of a catalog (titles, descriptions, categories and tags)."""

    def __init__(self, stems: Iterable[str]) -> None:
        self._stems = frozenset(stems)
        self._by_deletion: dict[str, set[str]] | None = None

    def __contains__(self, stem: object) -> bool:
        return stem in self._stems

    def spelled(self, stem: str, real_words: Collection[str] = frozenset()) -> str | None:
        """The catalog word ``stem`` is a form of ("gardening" → "garden") or a slip of the
        keyboard away from ("candel" → "candle"), or None. A word in ``real_words`` is no
        slip: "niece" is one keystroke from "piece", and meant."""
        for ending in _ENDINGS:
            base = stem.removesuffix(ending)
            if base == stem or len(base) < MIN_BASE_LENGTH:
                continue
            undoubled = base[:-1] if base[-1] == base[-2] else base  # "knitting" → "knit"
            forms: tuple[str, ...] = (base, base + "e", undoubled)
            if ending == "in":
                # A dropped g is one reading of "-in" among many ("robin" is no "robe"):
                # only a longer base, as typed.
                forms = (base, undoubled) if len(base) > MIN_BASE_LENGTH else ()
            for form in forms:
                if form in self._stems:
                    return form
        if len(stem) < MIN_TYPO_LENGTH or stem in real_words:
            return None
        found = self._one_slip(stem)
        if found is not None:
            return found
        # "gardning", "gardnin": a slip in a word with an ending on it.
        for ending in _ENDINGS:
            base = stem.removesuffix(ending)
            if base != stem and len(base) >= MIN_TYPO_LENGTH and base not in real_words:
                found = self._one_slip(base)
                if found is not None:
                    return found
        return None

    def _one_slip(self, stem: str) -> str | None:
        """The one catalog word a keystroke away from ``stem``, or None."""
        index = self.deletions()
        candidates = set(index.get(stem, ()))
        for form in deletions(stem):
            candidates |= index.get(form, set())
        found = [c for c in candidates if edit(stem, c)]
        if len(found) > 1:
            # Two letters swapped is the commonest slip: "candel" is "candle", not a
            # clipped "candl" some title abbreviates to.
            found = [c for c in found if edit(stem, c) == "swap"]
        return found[0] if len(found) == 1 else None

    def deletions(self) -> dict[str, set[str]]:
        # Built on the first typo, not with the catalog: most requests are spelled right.
        if self._by_deletion is None:
            index: dict[str, set[str]] = {}
            for word in self._stems:
                if len(word) >= MIN_TYPO_LENGTH - 1:
                    for form in {word, *deletions(word)}:
                        index.setdefault(form, set()).add(word)
            self._by_deletion = index
        return self._by_deletion


def deletions(word: str) -> set[str]:
    """``word`` with one letter dropped, every way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit(a: str, b: str) -> Literal["swap", "other"] | None:
    """How one keystroke turns ``a`` into ``b``: two neighbours swapped ("swap"), one
    letter inserted, dropped or changed ("other"); None if it takes more than one."""
    if a == b or abs(len(a) - len(b)) > 1:
        return None
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return "other"
        swapped = (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
        return "swap" if swapped else None
    short, long = sorted((a, b), key=len)
    return "other" if any(long[:i] + long[i + 1 :] == short for i in range(len(long))) else None
