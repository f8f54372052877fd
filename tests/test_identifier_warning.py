"""Direct identifiers (issue #6): columns named like a name, birth date, address,
telephone, e-mail or social security number give one warning asking to
pseudonymise, in English or French, whatever the case, accents or separators;
the data contract's own columns never do."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from omalizumab_core.data import identifiers
from omalizumab_core.cli.main import main
from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.identifiers import identifier_columns, identifier_key, identifier_warning
from omalizumab_core.data.loading import load_cohort, load_upload
from omalizumab_core.data.problems import ERROR, WARNING, CohortError
from tests.apptest_support import app_on
from tests.bad_inputs import PATIENTS, csv_files


@pytest.mark.parametrize(
    "name",
    [
        "name", "Name", "NAME", "surname", "Surname ", "first name", "First_Name", "first-name", "firstName", "lastName",
        "last name", "Family name", "patient name", "Patient's surname", "Initials",
        "nom", "Nom", "NOM", "prénom", "Prénom", "PRENOM", "Nom du patient", "nom_de_famille", "Nom de naissance",
        "birth date", "Birth_Date", "date of birth", "Date Of Birth", "dateOfBirth", "DOB", "D.O.B.", "birthdate",
        "date de naissance", "Date_de_naissance", "DDN",
        "address", "Address line 1", "adresse", "Adresse postale", "code postal", "Zip code",
        "phone", "Phone number", "telephone", "téléphone", "Téléphone portable", "N° de téléphone", "mobile",
        "email", "e-mail", "E_mail", "Email address", "adresse e-mail", "courriel", "mail",
        "social security", "Social security number", "SSN", "NIR", "insee", "N° INSEE", "numéro de sécurité sociale",
        "N° sécu", "NHS number", "MRN", "IPP",
    ],
)
def test_direct_identifier_names_are_detected_whatever_the_language_case_accents_or_separators(name):
    assert identifier_columns([name]) == [name]


CONTRACT_COLUMNS = sorted({column.name for columns in TABLE_COLUMNS.values() for column in columns})


@pytest.mark.parametrize("name", CONTRACT_COLUMNS + ["symptom_name", "event name", "center_name", "drug", "no", "N°", "notes", "comment"])
def test_contract_and_clinical_columns_are_never_identifiers(name):
    assert identifier_columns([name]) == []


def test_identifier_key_drops_accents_case_separators_and_filler_words():
    assert identifier_key("N° de Sécurité-Sociale du patient") == "securitesociale"
    assert identifier_key("Patient's Date of Birth") == "datebirth"
    assert identifier_key("lastName") == "lastname"


def test_a_table_is_judged_by_its_column_names_never_its_values():
    table = pd.DataFrame({"patient_id": ["P1"], "notes": ["Dupont Jean, 12 rue de Rivoli"], "Prénom": ["x"]})
    assert identifier_columns(table) == ["Prénom"]


def test_warning_names_the_columns_and_asks_to_pseudonymise():
    warning = identifier_warning(["Nom", "DOB", "Téléphone"], where="patients.csv")
    assert warning.severity == WARNING and warning.table == "patients" and warning.where == "patients.csv"
    assert "'Nom', 'DOB', 'Téléphone'" in warning.message
    assert "(name, birth date, telephone)" in warning.message
    assert "pseudonymise" in warning.message
    assert identifier_warning([]) is None


def test_warning_for_one_column_sets_the_column():
    assert identifier_warning(["Surname"]).column == "Surname"


def test_examples_in_the_docstrings_run():
    result = doctest.testmod(identifiers)
    assert result.attempted >= 2 and result.failed == 0


# --- wired into loading ------------------------------------------------------------

WITH_IDENTIFIERS = (
    PATIENTS.replace("last_follow_up_month\n", "last_follow_up_month,Nom,Prénom,E-mail\n")
    .replace(",12\n", ",12,Dupont,Jean,j@d.fr\n")
    .replace(",4\n", ",4,Martin,Anne,\n")
    .replace(",24\n", ",24,Durand,Paul,\n")
)


def identifier_warnings(problems):
    return [p for p in problems if "direct identifiers" in p.message]


def test_uploaded_cohort_loads_with_one_warning_naming_every_identifier_column():
    cohort = load_upload(csv_files(patients=WITH_IDENTIFIERS))
    found = identifier_warnings(cohort.warnings)
    assert len(found) == 1  # the validator's narrower warning is replaced, not repeated
    assert found[0].severity == WARNING and found[0].table == "patients" and found[0].where == "patients.csv"
    assert "'Nom', 'Prénom', 'E-mail'" in found[0].message
    assert "Dupont" not in found[0].message and "j@d.fr" not in found[0].message
    assert cohort.n_patients == 3


def test_identifier_columns_in_another_table_are_reported_for_that_table():
    symptoms = "patient_id,symptom,month,score,Patient name\n" + "".join(
        line + ",X\n" for line in csv_files()[1][1].decode().splitlines()[1:]
    )
    cohort = load_upload(csv_files(symptoms=symptoms))
    found = identifier_warnings(cohort.warnings)
    assert [(p.table, p.where, p.column) for p in found] == [("symptoms", "symptoms.csv", "Patient name")]


def test_pseudonymised_cohort_has_no_identifier_warning():
    assert identifier_warnings(load_upload(csv_files()).warnings) == []


def test_rejected_upload_still_carries_the_identifier_warning():
    with pytest.raises(CohortError) as raised:
        load_upload(csv_files(patients=WITH_IDENTIFIERS.replace("P2,M,MCAS", "P2,M,XYZ")))
    problems = raised.value.problems
    assert any(p.severity == ERROR and p.where == "patients.csv, line 3" for p in problems)
    assert [p.severity for p in identifier_warnings(problems)] == [WARNING]


def test_cohort_loaded_from_a_folder_gets_the_warning_and_the_cli_prints_it(tmp_path, capsys):
    for name, content in csv_files(patients=WITH_IDENTIFIERS):
        (tmp_path / name).write_bytes(content)
    assert len(identifier_warnings(load_cohort(tmp_path).warnings)) == 1
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "WARNING | patients.csv:" in out and "'Nom', 'Prénom', 'E-mail' look like direct identifiers" in out


def test_data_page_shows_the_identifier_warning():
    at = app_on(load_upload(csv_files(patients=WITH_IDENTIFIERS)), page="views/data.py")
    assert not at.exception
    assert any("warning(s)" in w.value for w in at.warning)
    tables = [element.value for element in at.dataframe]
    assert any(table["Problem"].str.contains("look like direct identifiers").any() for table in tables if "Problem" in table)
