"""The Data page shows the loaded tables in clinical words (issue 18, item 9)."""

from __future__ import annotations

import json

import pandas as pd

from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.labels import COLUMN_LABELS, column_help, column_label, readable_table
from tests.apptest_support import app_on


def test_every_contract_column_has_a_clinical_header_and_its_template_name_in_the_help():
    for table, columns in TABLE_COLUMNS.items():
        for column in columns:
            assert column.name in COLUMN_LABELS[table], (table, column.name)
            assert "_" not in column_label(table, column.name)
            assert column_help(table, column.name).endswith(f"(template column: {column.name})")


def test_dates_yes_no_codes_and_blanks_read_as_on_a_chart():
    frame = pd.DataFrame({
        "patient_id": ["P1", "P2"],
        "treatment_start": pd.to_datetime(["2015-01-10", None]),
        "skin_involvement": pd.array([True, pd.NA], dtype="boolean"),
        "kit_d816v": ["not_evaluated", "positive"],
        "end_reason": ["lost_to_follow_up", None],
        "age_at_treatment": [41.8, 50.0],
    })
    shown = readable_table("patients", frame)
    assert str(shown.loc[0, "treatment_start"]) == "2015-01-10" and shown.loc[1, "treatment_start"] is None
    assert shown["skin_involvement"].tolist()[0] == "yes" and pd.isna(shown.loc[1, "skin_involvement"])
    assert shown["kit_d816v"].tolist() == ["not evaluated", "positive"]
    assert shown.loc[0, "end_reason"] == "Lost to follow-up" and pd.isna(shown.loc[1, "end_reason"])
    assert shown["age_at_treatment"].tolist() == [41.8, 50.0]  # numbers stay numbers
    assert frame.loc[0, "end_reason"] == "lost_to_follow_up"  # the input is not changed


def test_a_doses_preview_says_the_regimen_in_words():
    doses = pd.DataFrame({"patient_id": ["P1", "P1"], "month": [0.0, 3.0], "dose_mg": [150.0, 300.0], "interval_days": [14.0, 7.0]})
    assert readable_table("doses", doses)["regimen"].tolist() == ["150 mg every 2 weeks", "300 mg every week"]


def test_the_data_page_previews_with_clinical_headers_and_no_none_or_midnight():
    at = app_on(page="views/data.py")
    patients = at.dataframe[0]
    config = json.loads(patients.proto.columns)
    assert config["age_at_treatment"]["label"] == "Age at first injection, years"
    assert "template column: age\\_at\\_treatment" in config["age_at_treatment"]["help"]  # escaped: the help is Markdown
    text = patients.value.astype(str)
    assert not text.isin(["None", "nan", "<NA>", "NaT"]).any().any()
    assert not text.apply(lambda c: c.str.contains("00:00:00")).any().any()
