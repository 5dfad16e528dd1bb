"""The catalog as scoring needs it: one matrix of item vectors plus prices and categories.

Chroma is where item vectors persist; this index is the in-memory copy every ranking
reads, because a full pass over a numpy matrix is faster than any per-request store
query at these sizes and avoids Chroma's `where` filters on the hot path.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tools.types import CatalogItem
from tools.vocabulary import CatalogVocabulary


@dataclass(frozen=True)
class AudienceColumns:
    """Who each item says it suits, one entry per row ("" and NaN where it says nothing)."""

    audiences: np.ndarray
    age_min: np.ndarray
    age_max: np.ndarray
    rows_by_tag: dict[str, np.ndarray]


class CatalogIndex:
    """Items in a fixed order; row ``i`` of :attr:`vectors` is ``items[i]``."""

    def __init__(self, items: Sequence[CatalogItem], vectors: np.ndarray) -> None:
        if len(items) != len(vectors):
            raise ValueError("one vector per item")
        self.items: list[CatalogItem] = list(items)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._rows = {item.item_id: row for row, item in enumerate(self.items)}
        self.prices = np.array(
            [np.nan if it.price is None else it.price for it in self.items], dtype=np.float64
        )
        self.categories = np.array([(it.category or "").lower() for it in self.items], dtype=object)
        self._words = [_title_words(it.title) for it in self.items]
        self._rows_by_word = _word_index(self._words)
        # Built on first use and dropped when items change: a catalog that is never asked
        # about audiences pays nothing, and one that is pays once, not per request.
        self._audience_columns: AudienceColumns | None = None
        self._audience_similarity: dict[tuple[str, bytes], np.ndarray] = {}
        self._vocabulary: CatalogVocabulary | None = None
        self._title_keys: np.ndarray | None = None

    @classmethod
    def empty(cls, dim: int) -> CatalogIndex:
        return cls([], np.zeros((0, dim), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._rows

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def row(self, item_id: str) -> int | None:
        return self._rows.get(item_id)

    def rows(self, item_ids: Iterable[str]) -> list[int]:
        return [r for r in (self._rows.get(i) for i in item_ids) if r is not None]

    def upsert(self, items: Sequence[CatalogItem], vectors: np.ndarray) -> None:
        """Add or replace items; new ones are appended so existing rows stay valid."""
        new_items: list[CatalogItem] = []
        new_vectors: list[np.ndarray] = []
        for item, vector in zip(items, vectors, strict=True):
            row = self._rows.get(item.item_id)
            if row is None:
                new_items.append(item)
                new_vectors.append(vector)
            else:
                self.items[row] = item
                self.vectors[row] = vector
                self.prices[row] = np.nan if item.price is None else item.price
                self.categories[row] = (item.category or "").lower()
                self._words[row] = _title_words(item.title)
        if new_items:
            start = len(self.items)
            self.items.extend(new_items)
            self.vectors = np.vstack([self.vectors, np.asarray(new_vectors, dtype=np.float32)])
            self.prices = np.concatenate(
                [self.prices, [np.nan if i.price is None else i.price for i in new_items]]
            )
            self.categories = np.concatenate(
                [self.categories, np.array([(i.category or "").lower() for i in new_items])]
            )
            self._words.extend(_title_words(i.title) for i in new_items)
            for offset, item in enumerate(new_items):
                self._rows[item.item_id] = start + offset
        self._rows_by_word = _word_index(self._words)
        self._audience_columns = None
        self._audience_similarity.clear()
        self._vocabulary = None
        self._title_keys = None

    def distinct_titles(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` in their order, less any whose title an earlier one already has: a
        shop may list one product under two codes, and a list showing both says the
        same thing twice."""
        if self._title_keys is None:
            keys: dict[str, int] = {}
            self._title_keys = np.array(
                [
                    keys.setdefault(" ".join(it.title.lower().split()), len(keys))
                    for it in self.items
                ],
                dtype=np.int64,
            )
        _, first = np.unique(self._title_keys[rows], return_index=True)
        return rows[np.sort(first)]

    def audience_columns(self) -> AudienceColumns:
        """Each item's audience, age range and tags as arrays, built once per catalog."""
        if self._audience_columns is None:
            tagged: dict[str, list[int]] = {}
            for row, item in enumerate(self.items):
                for tag in item.tags:
                    tagged.setdefault(tag, []).append(row)
            self._audience_columns = AudienceColumns(
                audiences=np.array([it.audience or "" for it in self.items], dtype=object),
                age_min=_floats(it.age_min for it in self.items),
                age_max=_floats(it.age_max for it in self.items),
                rows_by_tag={tag: np.array(rows, dtype=np.int64) for tag, rows in tagged.items()},
            )
        return self._audience_columns

    def tagged(self, tags: Iterable[str]) -> np.ndarray:
        """Boolean mask of items carrying any of ``tags``."""
        mask = np.zeros(len(self.items), dtype=bool)
        rows_by_tag = self.audience_columns().rows_by_tag
        for tag in tags:
            rows = rows_by_tag.get(tag)
            if rows is not None:
                mask[rows] = True
        return mask

    def audience_similarity(self, audience: str, prototypes: np.ndarray) -> np.ndarray:
        """How close each item comes to the nearest of an audience's prototype vectors.

        Kept per audience until items change: one float per item per audience, so even
        100k items cost well under a megabyte each.
        """
        matrix = np.ascontiguousarray(prototypes, dtype=np.float32).reshape(-1, self.dim)
        key = (audience, matrix.tobytes())
        cached = self._audience_similarity.get(key)
        if cached is None:
            if len(self.items) and len(matrix):
                cached = (self.vectors @ matrix.T).max(axis=1).astype(np.float32)
            else:
                cached = np.zeros(len(self.items), dtype=np.float32)
            self._audience_similarity[key] = cached
        return cached

    def filter_mask(
        self,
        *,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> np.ndarray:
        """Boolean mask of items passing the hard filters (unknown prices fail a price filter)."""
        mask = np.ones(len(self.items), dtype=bool)
        if category:
            mask &= self.categories == category.lower()
        if price_min is not None:
            mask &= np.nan_to_num(self.prices, nan=-1.0) >= price_min
        if price_max is not None:
            mask &= np.nan_to_num(self.prices, nan=np.inf) <= price_max
        return mask

    def mentioning(self, phrases: Iterable[str]) -> np.ndarray:
        """Boolean mask of items whose title, tags or category name any of ``phrases``.

        A phrase of several words needs all of them; singular and plural match alike, so
        "hearts" finds "Heart of Wicker". Words of one or two letters say nothing and are
        ignored, as they are in titles.
        """
        found = np.zeros(len(self.items), dtype=bool)
        for phrase in phrases:
            stems = _words(phrase)
            if not stems:
                continue
            mask = np.ones(len(self.items), dtype=bool)
            for stem in stems:
                mask &= self._mentions(stem)
            found |= mask
        return found

    def _mentions(self, stem: str) -> np.ndarray:
        mask = np.zeros(len(self.items), dtype=bool)
        rows = self._rows_by_word.get(stem)
        if rows:
            mask[rows] = True
        for category in np.unique(self.categories):
            if stem in _words(str(category)):
                mask |= self.categories == category
        for tag, tag_rows in self.audience_columns().rows_by_tag.items():
            if stem in _words(tag):
                mask[tag_rows] = True
        return mask

    def in_catalog_words(
        self, words: Sequence[str], real_words: Collection[str] = frozenset()
    ) -> list[str]:
        """``words`` as this catalog spells them: "candels" → "candle", "gardening" →
        "garden" (see :mod:`tools.vocabulary`). A word the catalog has no form of is kept
        as said, so a request for what the shop lacks still matches poorly; so is one in
        ``real_words`` (a dictionary), which is no typo of a catalog word."""
        if self._vocabulary is None:
            stems: set[str] = set().union(*self._words) if self._words else set()
            for item in self.items:
                stems |= _words(" ".join((item.description, item.category or "", *item.tags)))
            self._vocabulary = CatalogVocabulary(stems)
        vocabulary = self._vocabulary
        return [
            word
            if _stem(word) in vocabulary
            else vocabulary.spelled(_stem(word), real_words) or word
            for word in words
        ]

    def keyword_match(self, words: Iterable[str]) -> np.ndarray:
        """Share of ``words`` found in each item's title (singular and plural alike)."""
        wanted = {_stem(w) for w in words if len(w) > 2}
        out = np.zeros(len(self.items), dtype=np.float32)
        for word in wanted:
            rows = self._rows_by_word.get(word)
            if rows:
                out[rows] += 1.0 / len(wanted)
        return out


def _floats(values: Iterable[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _word_index(titles: list[tuple[str, ...]]) -> dict[str, list[int]]:
    """Word → rows of the titles containing it, so a keyword match is a few lookups."""
    index: dict[str, list[int]] = {}
    for row, words in enumerate(titles):
        for word in words:
            index.setdefault(word, []).append(row)
    return index


def _stem(word: str) -> str:
    """A crude singular, enough to match 'candles' with 'candle' and 'boxes' with 'box'."""
    word = word.lower()
    if len(word) <= 3 or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("xes", "ches", "shes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _title_words(title: str) -> tuple[str, ...]:
    """A title's stems as the index keeps them: a tuple of shared strings. Per-item sets
    of fresh strings took 50 MB at 100k items; most titles share most of their words."""
    return tuple(sys.intern(word) for word in _words(title))


#: Runs of letters and digits: exactly the characters ``str.isalnum`` accepts.
_ALNUM_RUN = re.compile(r"[^\W_]+")


def _words(text: str) -> set[str]:
    # One regular expression, not a test per character: a catalog of 100k titles is
    # read into words in a third of the time.
    return {_stem(w) for w in _ALNUM_RUN.findall(text.lower()) if len(w) > 2}
