"""Symptom vocabulary (English and French) and the template workbook."""

import io

import openpyxl
import pandas as pd

from omalizumab_core.data.contract import TABLE_COLUMNS, data_dictionary
from omalizumab_core.data.vocabulary import canonical_symptoms, categorize, category_of


def test_english_and_french_synonyms_with_accents_and_plurals_map_to_categories():
    assert category_of("Anaphylaxie") == "general_vasomotor"
    assert category_of("Bouffées vasomotrices") == "superficial_vasomotor"
    assert category_of("diarrhée") == "gastrointestinal"
    assert category_of("Céphalées") == "headache"
    assert category_of("bone pains") == "musculoskeletal"
    assert category_of("brain fog") == "neuropsychiatric"


def test_unknown_names_are_flagged_and_counted_other():
    categories, unknown = categorize(pd.Series(["flushing", "zorglub"]))
    assert categories.tolist() == ["superficial_vasomotor", "other"]
    assert unknown.tolist() == [False, True]


def test_canonical_symptoms_cover_every_category_but_other():
    assert set(canonical_symptoms()["category"]) == {
        "general_vasomotor", "superficial_vasomotor", "gastrointestinal", "urinary",
        "neuropsychiatric", "musculoskeletal", "headache", "respiratory",
    }


def test_template_has_a_sheet_per_table_with_contract_headers_and_a_dictionary():
    from omalizumab_core.data.template import template_workbook

    book = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    assert book.sheetnames == [*TABLE_COLUMNS, "data_dictionary"]
    for table, columns in TABLE_COLUMNS.items():
        assert [c.value for c in book[table][1]] == [c.name for c in columns]
    assert book["data_dictionary"].max_row == len(data_dictionary()) + 1


def test_empty_template_is_rejected_with_messages_not_a_crash():
    import pytest

    from omalizumab_core.data.loading import load_upload
    from omalizumab_core.data.problems import CohortError
    from omalizumab_core.data.template import template_workbook

    with pytest.raises(CohortError) as info:
        load_upload([("template.xlsx", template_workbook())])
    assert any("no rows" in p.message for p in info.value.problems)


def test_data_format_doc_mentions_every_contract_column():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "data-format.md").read_text(encoding="utf-8")
    missing = [c.name for cols in TABLE_COLUMNS.values() for c in cols if f"`{c.name}`" not in doc]
    assert missing == []
