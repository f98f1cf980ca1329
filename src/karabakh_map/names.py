"""Place names in every language we carry, and matching a user's spelling to a place.

Every place has an Azerbaijani (Latin), Armenian (script and Latin transliteration), Russian and
English name plus other spellings found in sources.  Users type any of them, with or without
diacritics: ``Şuşa``, ``Susa``, ``shusha`` and ``Shushi`` all find Shusha.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

LANGUAGES = ("en", "az", "hy", "hy_latn", "ru")

# Azerbaijani Latin letters and their usual English renderings, so that "Xankəndi" also matches
# "Khankendi" and "Ağdam" matches "Aghdam" without every spelling being listed by hand.
_AZ_TO_ENGLISH = str.maketrans({
    "ş": "sh", "ç": "ch", "ğ": "gh", "ə": "a", "ı": "i", "x": "kh", "c": "j", "q": "g",
    "ü": "u", "ö": "o", "İ": "i",
})


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: ``"Şuşa" -> "susa"``, ``"Ağdərə" -> "agdara"``."""
    # Compatibility forms first ("𝔄" -> "A"), so that casefolding sees the letter and a second fold
    # changes nothing.
    text = unicodedata.normalize("NFKD", text).casefold()
    text = text.replace("ə", "a").replace("ı", "i")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("-", " ").replace("'", "").replace("’", "").split())


def fold_azerbaijani(text: str) -> str:
    """The English-style rendering of an Azerbaijani name, folded: ``"Xocalı" -> "khojali"``."""
    return fold(text.casefold().translate(_AZ_TO_ENGLISH))


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


def _specificity(place_id: str) -> tuple[int, str]:
    # A town and its district often share a name ("Shusha"): the settlement is what people mean.
    order = {"settlement": 0, "district": 1, "province": 2, "region": 3, "road": 4}
    return (order.get(place_id.split("-", 1)[0], 9), place_id)
