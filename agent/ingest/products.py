"""What a raw product line means: is it a product at all, its shopper-facing title, its category.

Retail exports (the UCI Online Retail data among them) mix real products with postage,
fees, discounts and vouchers, and spell product names in shouting upper case. This module
turns one raw code + description into what a shopper should see.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# A product code in the UCI data is five digits with an optional letter suffix for
# variants ("85123A", "15056BL"); everything else there (POST, D, C2, DOT, M, BANK CHARGES,
# AMAZONFEE, DCGS…, gift_0001_…) is a charge, a discount, a voucher or a sample.
_PRODUCT_CODE = re.compile(r"\d{5}[A-Za-z]{0,2}")

# A few services hide behind product-like codes; they are recognised by their wording.
_SERVICE_DESCRIPTIONS = re.compile(
    r"^(?:next day carriage|packing charge|high resolution image|dotcomgiftshop gift voucher\b.*)$",
    re.IGNORECASE,
)

# Words a title keeps lower case unless they open it.
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the"}
    | {"to", "w"}  # "W" is the catalogue's shorthand for "with"
)
# Abbreviations that read wrong in title case.
_ACRONYMS = frozenset({"LED", "UK", "USA", "USB", "TV", "DVD", "CD", "BBQ", "DIY", "XL", "XXL"})
_UNIT = re.compile(r"(\d+(?:\.\d+)?)(cm|mm|ml|g|kg)", re.IGNORECASE)
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}[A-Za-z]?")  # "M.O.P": mother of pearl
_SEPARATORS = re.compile(r"([-/+&])")


def is_product_code(code: str) -> bool:
    """True when a stock code names a product rather than a charge, fee or voucher."""
    return _PRODUCT_CODE.fullmatch(code.strip()) is not None


def is_service_description(description: str) -> bool:
    """True when a line's wording says it is a service (carriage, an image, a voucher)."""
    return _SERVICE_DESCRIPTIONS.match(clean_text(description)) is not None


def clean_text(text: str) -> str:
    """Strip and collapse runs of whitespace; the raw wording is otherwise kept."""
    return " ".join(text.split())


def nice_title(description: str) -> str:
    """A shopper-facing title from an upper-case description.

    >>> nice_title("WHITE HANGING HEART T-LIGHT HOLDER")
    'White Hanging Heart T-Light Holder'
    >>> nice_title("SET OF 3 COLOURED  FLYING DUCKS")
    'Set of 3 Coloured Flying Ducks'
    """
    # "LOUNGE,METAL SIGN" → "Lounge, Metal Sign": the source often drops the space.
    text = re.sub(r",(?=\S)", ", ", clean_text(description))
    words = text.split(" ")
    return " ".join(_title_word(word, first=i == 0) for i, word in enumerate(words) if word)


def _title_word(word: str, *, first: bool) -> str:
    if not first and word.lower() in _SMALL_WORDS:
        return word.lower()
    parts = _SEPARATORS.split(word)
    return "".join(_title_part(part) for part in parts)


def _title_part(part: str) -> str:
    if not part or _SEPARATORS.fullmatch(part):
        return part
    if part.upper() in _ACRONYMS or _INITIALS.fullmatch(part):
        return part.upper()
    unit = _UNIT.fullmatch(part)
    if unit:
        return unit.group(1) + unit.group(2).lower()
    if any(ch.isdigit() for ch in part):
        # Codes and sizes ("A6", "3D", "30CMX30CM") read best as written.
        return part
    letters = [i for i, ch in enumerate(part) if ch.isalpha()]
    if not letters:
        return part
    i = letters[0]
    return part[:i] + part[i].upper() + part[i + 1 :].lower()


@dataclass(frozen=True)
class _Category:
    name: str
    strong: re.Pattern[str] | None
    weak: re.Pattern[str] | None


@dataclass(frozen=True)
class CategoryTable:
    """An ordered keyword table.

    Strong keywords (what a thing is) are tried first, category by category in order;
    only when none matches are the weak ones (what it is made of or shows) tried, so
    "Candy Spot Cushion Cover" is a cushion, not a sweet.
    """

    categories: tuple[_Category, ...]
    fallback: str

    def categorize(self, description: str) -> str:
        """The category of a product description, or the fallback when nothing matches."""
        text = clean_text(description).lower()
        for tier in ("strong", "weak"):
            for category in self.categories:
                pattern = category.strong if tier == "strong" else category.weak
                if pattern is not None and pattern.search(text):
                    return category.name
        return self.fallback

    @property
    def names(self) -> list[str]:
        """Every category name, in matching order, then the fallback."""
        return [c.name for c in self.categories] + [self.fallback]


def parse_category_table(data: dict[str, object]) -> CategoryTable:
    """Build a :class:`CategoryTable` from the JSON structure of ``categories.json``.

    A keyword matches whole words, with an optional plural "s"/"es": ``candle`` matches
    "candles" but not "candleholder" (which needs its own keyword).
    """
    fallback = data.get("fallback", "other")
    entries = data.get("categories")
    if not isinstance(fallback, str) or not isinstance(entries, list):
        raise ValueError("categories.json needs a 'fallback' name and a 'categories' list")
    categories = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(name, str):
            raise ValueError("each category needs a 'name' and a 'keywords' list")
        strong = _keyword_pattern(entry.get("keywords"), name, required=True)
        weak = _keyword_pattern(entry.get("weak", []), name, required=False)
        categories.append(_Category(name=name, strong=strong, weak=weak))
    return CategoryTable(categories=tuple(categories), fallback=fallback)


def _keyword_pattern(keywords: object, name: str, *, required: bool) -> re.Pattern[str] | None:
    if not isinstance(keywords, list) or (required and not keywords):
        raise ValueError(f"category {name!r} needs a non-empty 'keywords' list")
    if not keywords:
        return None
    # Longest first, so "cake stand" is tried before "cake".
    words = sorted((str(k).lower() for k in keywords), key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?:s|es)?(?![\w'])")


@cache
def default_categories() -> CategoryTable:
    """The table shipped in ``agent/ingest/categories.json``."""
    text = resources.files("agent.ingest").joinpath("categories.json").read_text("utf-8")
    return parse_category_table(json.loads(text))
