"""Symptom names -> the paper's symptom categories (Figure 1), in English and French.

Matching folds case, accents, punctuation and a plural "s". Only the distinct
names are looked up, so a 13-million-row table costs a few hundred look-ups.
The user's own symptom name is kept for display; only the category is added.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from omalizumab_core.data.codes import CATEGORY_LABELS

# canonical symptom -> (category, synonyms)
VOCABULARY: dict[str, tuple[str, tuple[str, ...]]] = {
    "anaphylaxis": ("general_vasomotor", ("anaphylaxie", "anaphylactic shock", "choc anaphylactique", "recurrent anaphylaxis")),
    "malaise": ("general_vasomotor", ("syncope", "presyncope", "lipothymia", "lipothymie", "fainting")),
    "palpitations": ("general_vasomotor", ("tachycardia", "tachycardie")),
    "hypotension": ("general_vasomotor", ("low blood pressure",)),
    "flushing": ("superficial_vasomotor", ("flush", "bouffees vasomotrices", "bouffees de chaleur", "erythrosis")),
    "pruritus": ("superficial_vasomotor", ("itching", "itch", "prurit")),
    "urticaria": ("superficial_vasomotor", ("urticaire", "hives")),
    "angioedema": ("superficial_vasomotor", ("angio-oedeme", "angiooedeme", "oedeme", "edema", "quincke")),
    "dermographism": ("superficial_vasomotor", ("dermographisme", "darier sign")),
    "skin lesions": ("superficial_vasomotor", ("rash", "skin rash", "eruption", "lesions cutanees")),
    "abdominal pain": ("gastrointestinal", ("douleurs abdominales", "douleur abdominale", "abdominal cramps", "crampes abdominales")),
    "diarrhea": ("gastrointestinal", ("diarrhoea", "diarrhee")),
    "nausea": ("gastrointestinal", ("nausee", "nausees")),
    "vomiting": ("gastrointestinal", ("vomissements", "vomissement")),
    "bloating": ("gastrointestinal", ("ballonnements", "ballonnement", "abdominal distension")),
    "gastroesophageal reflux": ("gastrointestinal", ("reflux", "gerd", "rgo", "pyrosis", "heartburn", "pyrosis")),
    "dysphagia": ("gastrointestinal", ("dysphagie",)),
    "pollakiuria": ("urinary", ("frequent urination", "pollakiurie")),
    "urinary urgency": ("urinary", ("impériosités mictionnelles", "imperiosites mictionnelles", "urgency")),
    "cystitis-like pain": ("urinary", ("cystitis", "cystite", "bladder pain", "pelvic pain")),
    "dysuria": ("urinary", ("dysurie",)),
    "fatigue": ("neuropsychiatric", ("asthenia", "asthenie", "tiredness")),
    "depression": ("neuropsychiatric", ("depressive symptoms", "syndrome depressif")),
    "anxiety": ("neuropsychiatric", ("anxiete",)),
    "cognitive impairment": ("neuropsychiatric", ("memory loss", "troubles de concentration", "troubles de la memoire", "brain fog", "concentration difficulties", "cognitive disorders")),
    "sleep disorders": ("neuropsychiatric", ("insomnia", "insomnie", "troubles du sommeil")),
    "irritability": ("neuropsychiatric", ("irritabilite",)),
    "bone pain": ("musculoskeletal", ("douleurs osseuses", "douleur osseuse", "osteoporosis pain")),
    "muscle pain": ("musculoskeletal", ("myalgia", "myalgie", "myalgies", "douleurs musculaires")),
    "joint pain": ("musculoskeletal", ("arthralgia", "arthralgie", "arthralgies", "douleurs articulaires")),
    "headache": ("headache", ("cephalees", "cephalee", "maux de tete")),
    "migraine": ("headache", ()),
    "dyspnea": ("respiratory", ("dyspnoea", "dyspnee", "shortness of breath", "breathlessness")),
    "wheezing": ("respiratory", ("sifflements", "bronchospasm", "asthma")),
    "rhinitis": ("respiratory", ("rhinorrhea", "rhinorrhee", "rhinite", "runny nose")),
    "cough": ("respiratory", ("toux",)),
    "nasal congestion": ("respiratory", ("congestion nasale", "blocked nose")),
}


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return text


def _key(name: str) -> str:
    folded = _fold(name)
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in folded.split())


_LOOKUP: dict[str, str] = {}
_CANONICAL: dict[str, str] = {}
for _canonical, (_category, _synonyms) in VOCABULARY.items():
    for _name in (_canonical, *_synonyms):
        _LOOKUP[_key(_name)] = _category
        _CANONICAL.setdefault(_key(_name), _canonical)


def category_of(name: str) -> str | None:
    """The category of one symptom name, or None when it is not in the vocabulary."""
    return _LOOKUP.get(_key(name))


def canonical_name(name: str) -> str:
    """The vocabulary's name of a symptom ("bouffées de chaleur" -> "flushing"), or the name as written when unknown."""
    return _CANONICAL.get(_key(name), str(name).strip())


def categorize(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Category codes for a column of symptom names, and a mask of unknown names.

    Unknown names are categorised "other".
    """
    uniques = pd.unique(names.astype("object"))
    found = {u: category_of(u) for u in uniques}
    mapped = names.astype("object").map(found)
    unknown = mapped.isna()
    return mapped.fillna("other").astype("object"), unknown


def canonical_symptoms() -> pd.DataFrame:
    """One row per canonical symptom with its category, for checklists."""
    rows = [(s, c, CATEGORY_LABELS[c]) for s, (c, _) in VOCABULARY.items()]
    return pd.DataFrame(rows, columns=["symptom", "category", "category_label"])
