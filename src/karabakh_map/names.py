"""Place names in every language we carry, and matching a user's spelling to a place.

Every place has an Azerbaijani (Latin), Armenian (script and Latin transliteration), Russian and
English name plus other spellings found in sources.  Users type any of them, with or without
diacritics: ``Şuşa``, ``Susa``, ``shusha`` and ``Shushi`` all find Shusha.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

LANGUAGES = ("en", "az", "hy", "hy_latn", "ru")

# Azerbaijani Latin letters and their usual English renderings, so that "Xankəndi" also matches
# "Khankendi" and "Ağdam" matches "Aghdam" without every spelling being listed by hand.
_AZ_TO_ENGLISH = str.maketrans({
    "ş": "sh", "ç": "ch", "ğ": "gh", "ə": "a", "ı": "i", "x": "kh", "c": "j", "q": "g",
    "ü": "u", "ö": "o", "İ": "i",
})


@lru_cache(maxsize=4096)
def _fold_piece(ch: str) -> str:
    """What ``fold`` makes of one character; any kind of space (and a hyphen) becomes " "."""
    # Compatibility forms first ("𝔄" -> "A"), so that casefolding sees the letter and a second fold
    # changes nothing.
    text = unicodedata.normalize("NFKD", ch).casefold().replace("ə", "a").replace("ı", "i")
    kept = (c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(" " if c.isspace() or c == "-" else "" if c in "'’" else c for c in kept)


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: ``"Şuşa" -> "susa"``, ``"Ağdərə" -> "agdara"``."""
    # Every step works on one character at a time (NFKD reorders only the marks it then drops), so
    # the text's fold is its characters' pieces, joined; the map page folds with the same pieces.
    return " ".join(part for part in "".join(map(_fold_piece, text)).split(" ") if part)


def fold_azerbaijani(text: str) -> str:
    """The English-style rendering of an Azerbaijani name, folded: ``"Xocalı" -> "khojali"``."""
    return fold(text.casefold().translate(_AZ_TO_ENGLISH))


# The Unicode blocks a reader types these names in: Latin with every diacritic, the IPA letters
# (Azerbaijani's schwa "ə") and spacing modifiers, the combining marks, Cyrillic, Armenian, the Latin
# additions (Vietnamese-style letters), general punctuation (dashes, curly apostrophes) and the Latin
# and Armenian ligatures.
FOLD_BLOCKS = ((0x0000, 0x02FF), (0x0300, 0x036F), (0x0400, 0x052F), (0x0530, 0x058F), (0x1E00, 0x1EFF),
               (0x2000, 0x206F), (0xFB00, 0xFB17))


def name_rules() -> dict[str, list]:
    """The lookup's own rules, for the map page: the layers from most to least specific, and the
    administrative words (folded) with the layers they ask for."""
    return {"specificity": list(SPECIFICITY), "adminWords": sorted(_FOLDED_ADMIN_WORDS),
            "adminLayers": list(ADMIN_LAYERS)}


def folding_tables(names: Iterable[str] = ()) -> dict[str, list]:
    """``fold`` and ``fold_azerbaijani`` as data, for the map page: the browser folds a reader's
    query with these tables and a lookup, never with rules of its own.

    ``fold(text)`` is each character's piece (``fold``: the listed piece, else its lower case),
    joined, split at spaces, and the non-empty parts joined by one space; ``fold_azerbaijani``
    first replaces each character by its case fold (``casefold``: listed, else its lower case)
    and then by its English rendering (``azToEnglish``).  Only characters whose piece differs
    from their lower case are listed: those of FOLD_BLOCKS, of ``names`` (every name in the
    record) and every whitespace character.  Tables are lists of pairs (see mapclient)."""
    chars = {chr(c) for lo, hi in FOLD_BLOCKS for c in range(lo, hi + 1)}
    chars |= set("".join(names)) | {chr(c) for c in range(0x3001) if chr(c).isspace()}
    return {
        "fold": [[c, p] for c in sorted(chars) if (p := _fold_piece(c)) != c.lower()],
        "casefold": [[c, c.casefold()] for c in sorted(chars) if c.casefold() != c.lower()],
        "azToEnglish": sorted([chr(k), v] for k, v in _AZ_TO_ENGLISH.items()),
    }


@dataclass(frozen=True)
class Names:
    en: str
    az: str
    hy: str
    hy_latn: str
    ru: str
    alt: tuple[str, ...] = field(default_factory=tuple)

    def all(self) -> tuple[str, ...]:
        return (self.en, self.az, self.hy, self.hy_latn, self.ru, *self.alt)

    def keys(self) -> frozenset[str]:
        """Every folded form under which this place can be found."""
        keys = {fold(name) for name in self.all() if name}
        keys |= {fold_azerbaijani(name) for name in (self.az, *self.alt) if name}
        return frozenset(keys)

    def label(self, mode: str = "both") -> str:
        """The display label for a names switch: ``both``, ``az`` or ``hy``."""
        if mode == "az":
            return self.az
        if mode == "hy":
            return self.hy_latn
        if fold(self.az) == fold(self.hy_latn) or fold_azerbaijani(self.az) == fold(self.hy_latn):
            return self.az
        return f"{self.az} / {self.hy_latn}"

    def as_dict(self) -> dict[str, object]:
        return {"en": self.en, "az": self.az, "hy": self.hy, "hy_latn": self.hy_latn, "ru": self.ru,
                "alt": list(self.alt)}


NAME_MODES = ("both", "az", "hy")


# Words that, after a name, ask for the administrative unit: "Aghdam District", "Füzuli rayonu",
# "Aghdam raion", "Agdam region", "Агдам район" (the Russian adjective form "Агдамский район" is not).
ADMIN_WORDS = ("district", "rayonu", "rayon", "raion", "rajon", "region", "район", "շրջան")
ADMIN_LAYERS = ("district", "province", "region")


def _admin_base(folded: str) -> str | None:
    """``"aghdam district" -> "aghdam"``: the name before a trailing administrative word."""
    head, _, last = folded.rpartition(" ")
    return head if head and last in _FOLDED_ADMIN_WORDS else None


_FOLDED_ADMIN_WORDS = frozenset(fold(word) for word in ADMIN_WORDS)


class NameIndex:
    """Finds place ids by any name variant."""

    def __init__(self, names_by_id: dict[str, Names]):
        self._names = names_by_id
        self._exact: dict[str, set[str]] = {}
        for place_id, names in names_by_id.items():
            for key in names.keys() | {fold(place_id)}:
                self._exact.setdefault(key, set()).add(place_id)

    def lookup(self, query: str) -> list[str]:
        """Ids whose names match ``query`` exactly (after folding), most specific first.

        A name followed by an administrative word ("Aghdam District", "Fuzuli rayonu") matches
        only the districts, provinces and regions of that name."""
        keys = {fold(query), fold_azerbaijani(query)}
        found: set[str] = set()
        for key in keys:
            found |= self._exact.get(key, set())
        if not found:
            for key in keys:
                base = _admin_base(key)
                if base:
                    found |= {pid for pid in self._exact.get(base, set()) if pid.split("-", 1)[0] in ADMIN_LAYERS}
        return sorted(found, key=_specificity)

    def search(self, query: str, limit: int = 20) -> list[str]:
        """Ids whose names start with or contain ``query``; exact matches first."""
        if not fold(query):
            return []
        exact = self.lookup(query)
        keys = {fold(query), fold_azerbaijani(query)}
        prefix, contains = [], []
        for key, ids in self._exact.items():
            for q in keys:
                if key.startswith(q):
                    prefix.extend(ids)
                elif q in key:
                    contains.extend(ids)
        ordered: list[str] = []
        for place_id in [*exact, *sorted(set(prefix), key=_specificity), *sorted(set(contains), key=_specificity)]:
            if place_id not in ordered:
                ordered.append(place_id)
        return ordered[:limit]


# A town and its district often share a name ("Shusha"): the settlement is what people mean.
SPECIFICITY = ("settlement", "district", "province", "region", "road")


def _specificity(place_id: str) -> tuple[int, str]:
    layer = place_id.split("-", 1)[0]
    return (SPECIFICITY.index(layer) if layer in SPECIFICITY else len(SPECIFICITY), place_id)
