"""``summary --json`` writes exactly what ``json.dump(..., indent=2)`` would, only faster.

The CLI's JSON is a contract: the fast writer (issue 21) must not change a
byte of it, whatever the ids hold (quotes, commas, accents, non-Latin
letters) and whatever the values are (nulls, booleans, fractions of months).
"""

from __future__ import annotations

import io
import json

import pytest

from omalizumab_core.cli.main import summary_json, write_json
from omalizumab_core.synthetic.demo import demo_cohort


def written(result, indent=2) -> str:
    out = io.StringIO()
    write_json(result, out, indent=indent)
    return out.getvalue()


@pytest.mark.parametrize("indent", [2, 4, None])
def test_the_demo_summary_is_written_as_the_json_library_writes_it(indent):
    result = summary_json(demo_cohort())
    assert written(result, indent) == json.dumps(result, indent=indent)


def test_ids_with_quotes_commas_accents_and_other_scripts_are_escaped_as_the_library_does():
    result = {
        "n_patients": 2,
        "patients": [
            {"patient_id": 'é"\\x, y', "months": None, "sustained": True, "month": 2.5, "n": 3},
            {"patient_id": "患者 7", "months": 1, "sustained": False, "month": 0.1, "n": -1},
        ],
        "response_table": {"all": {"n": 2, "best": {"CR": 1}}},
    }
    assert written(result) == json.dumps(result, indent=2)


@pytest.mark.parametrize(
    "result",
    [
        {"n_patients": 0, "patients": [], "response_table": {}},
        {"n_patients": 1, "patients": [{"a": 1}]},
        {"n_patients": 2, "patients": [{"a": 1}, {"b": 1}], "x": 1},
    ],
    ids=["no patients", "nothing after the patients", "records with different keys"],
)
def test_unusual_documents_are_written_as_the_library_does(result):
    assert written(result) == json.dumps(result, indent=2)
