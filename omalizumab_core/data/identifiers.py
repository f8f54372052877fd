"""Direct identifiers: columns whose name says they hold who the patient is.

The dashboard works on pseudonymised data: a study ``patient_id`` and clinical
values, never the patient's name, birth date, address, telephone, e-mail or
social security number. A file holding such columns still loads (refusing it
would not remove the data from the clinician's computer), with a warning asking
to pseudonymise it.

Detection is by column name only (values are never inspected or quoted), in
English and French, insensitive to case, accents, spaces, hyphens, underscores,
camelCase and filler words: "Date of birth", "date_de_naissance", "DOB",
"Prénom", "lastName", "N° de sécurité sociale", "Patient e-mail" all match;
``patient_id`` and the data contract's own columns never do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from omalizumab_core.data.problems import WARNING, Problem

__all__ = ["identifier_columns", "identifier_warning", "identifier_key", "IDENTIFIER_KINDS"]

# Words that do not change what a column holds: "patient's surname", "numéro de
# téléphone", "phone number", "nom du patient" keep only the informative words.
_FILLERS = frozenset(
    "patient patients pt pat of the his her de du des d la le l s number numero num no n nr nb en".split()
)

IDENTIFIER_KINDS: dict[str, frozenset[str]] = {
    "name": frozenset(
        "name names surname surnames familyname lastname firstname givenname forename forenames fullname "
        "middlename maidenname birthname namefirst namelast firstandlastname initials initiales "
        "nom noms prenom prenoms nomprenom prenomnom nomfamille nomusage nomnaissance nomjeunefille "
        "nomdenaissance nomcomplet".split()
    ),
    "birth date": frozenset(
        "dob birthdate datebirth birthday datenaissance naissance ddn datedenaissance".split()
    ),
    "address": frozenset(
        "address address1 address2 addressline1 addressline2 homeaddress streetaddress postaladdress street "
        "adresse adressepostale rue domicile postcode postalcode zipcode zip codepostal".split()
    ),
    "telephone": frozenset(
        "phone phones telephone telephones tel mobile mobilephone cellphone cell portable telportable "
        "telephoneportable fax gsm".split()
    ),
    "e-mail": frozenset("email emails mail courriel adressemail adresseemail adressemel mel".split()),
    "social security or record number": frozenset(
        "ssn socialsecurity securitesociale secu nir insee nss ins nhs medicare mrn ipp medicalrecord "
        "passport".split()
    ),
}
_KIND_OF_KEY = {key: kind for kind, keys in IDENTIFIER_KINDS.items() for key in keys}
# Stems strong enough to flag any column starting with them ("address_line_3", "email_pro").
_STEMS = ("address", "adresse", "email", "telephone", "phone", "birthdate", "datenaissance")


def identifier_key(name: object) -> str:
    """A column name reduced to its informative words, joined: "Date of Birth" -> "datebirth".

    Accents are removed, camelCase is split, and filler words ("patient",
    "of", "de", "number", "n°"...) are dropped before joining.
    """
    text = str(name).replace("\ufeff", "")
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)  # lastName -> last Name
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[a-z0-9]+", text)
    if len(words) > 1 and all(len(word) == 1 for word in words):
        return "".join(words)  # an acronym written with dots: "D.O.B."
    return "".join(word for word in words if word not in _FILLERS)


def _kind(name: object) -> str | None:
    key = identifier_key(name)
    if not key:
        return None
    if key in _KIND_OF_KEY:
        return _KIND_OF_KEY[key]
    stem = next((stem for stem in _STEMS if key.startswith(stem)), None)
    return None if stem is None else _KIND_OF_KEY[stem]


def identifier_columns(patients) -> list[str]:
    """Columns whose names say they hold direct identifiers.

    Parameters
    ----------
    patients : DataFrame or iterable of str
        A table (its column names are read, never its values), or column names.

    Returns
    -------
    list of str
        The matching column names, as given and in their order; empty when the
        table is pseudonymised.

    Notes
    -----
    Direct identifiers are names (surname, first name, initials), birth
    dates, addresses and postal codes, telephone numbers, e-mail addresses and
    national or hospital identification numbers (social security, NIR/INSEE,
    INS, NHS, medical record/IPP). A column matches when its name, once reduced
    by :func:`identifier_key`, is one of these words in English or French.

    Examples
    --------
    >>> identifier_columns(["patient_id", "Nom", "Date de naissance", "diagnosis", "E-mail"])
    ['Nom', 'Date de naissance', 'E-mail']
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> identifier_columns(demo_cohort().patients)
    []
    """
    names: Iterable = patients.columns if hasattr(patients, "columns") else patients
    return [name for name in names if _kind(name) is not None]


def identifier_warning(columns: Iterable[str], *, table: str = "patients", where: str | None = None) -> Problem | None:
    """The warning asking to pseudonymise, for columns found by :func:`identifier_columns`.

    Returns None when ``columns`` is empty. The message names the columns,
    never their values.
    """
    columns = list(columns)
    if not columns:
        return None
    shown = ", ".join(f"'{column}'" for column in columns)
    kinds = ", ".join(kind for kind in IDENTIFIER_KINDS if any(_kind(column) == kind for column in columns))
    return Problem(
        WARNING,
        table,
        f"Column(s) {shown} look like direct identifiers ({kinds}). Please pseudonymise the data before "
        "uploading: delete these columns and keep only a study patient_id that cannot be traced back to the "
        "patient without your centre's key.",
        where=where,
        column=columns[0] if len(columns) == 1 else None,
    )
