"""Every page runs and shows its title and one key figure: on the demo, with only the required tables, on one patient.

A page that runs without an exception but is blank would pass a no-exception
check, so each run also asserts what a user must see: the page's title and
one figure counted by hand from the small cohorts below (or, on the demo,
the published figure it re-creates).
"""

from __future__ import annotations

import pytest

from tests.apptest_support import app_on, page_files, page_tables, shown_text
from tests.handmade import cohort_of, course, patient


def _required_tables_only():
    return cohort_of(
        [patient("A"), patient("B", diagnosis="MCAS", kit_d816v="negative", treatment_end_month=3.0, end_reason="intolerance")],
        course("A", {"flushing": {0: 1, 1: 0.5, 4: 0.25}, "diarrhea": {0: 1, 1: 1, 4: 0.5}})
        + course("B", {"fatigue": {0: 1, 1: 1, 3: 1.5}}),
    )


def _one_patient():
    return cohort_of([patient("ONLY")], course("ONLY", {"pruritus": {0: 1, 2: 0}}))


TITLES = {
    "views/anaphylaxis.py": "Anaphylaxis",
    "views/biology.py": "Biological effects",
    "views/candidate.py": "MDT candidate",
    "views/data.py": "Data",
    "views/dosing.py": "Dose modifications",
    "views/instruments.py": "Instruments",
    "views/follow_up.py": "Follow-up of responses",
    "views/literature.py": "Published series",
    "views/overview.py": "Omalizumab in mast cell disorders",
    "views/patient.py": "Patient",
    "views/publication.py": "Published study vs this cohort",
    "views/response.py": "Response to omalizumab",
    "views/safety.py": "Safety",
    "views/symptoms.py": "Symptoms improvement",
    "views/time_to_response.py": "Time to response",
}

# The demo re-creates the paper: its key figures are the published ones.
DEMO_SHOWS = {
    "views/anaphylaxis.py": "No longer needing epinephrine | 13/14 (92.9 %",  # "13 of 14 ... improved", epinephrine no longer needed
    "views/literature.py": "Overall response to omalizumab in published series",  # caption only: key figure not yet chosen
    "views/biology.py": "Mean before omalizumab 30.3 ng/mL",  # "a mean value of 30.3 ng/mL before omalizumab"
    "views/candidate.py": "Enter the candidate's diagnosis and symptoms",
    "views/data.py": "Patients: 55 rows",
    "views/dosing.py": "Patients with a dose escalation 15 (27.3 %)",  # 15 escalations of 55
    "views/instruments.py": "Controlled: total of 8 or less | 24/55 (43.6 %",  # plainly synthetic (example diary, docs/demo-cohort.md)
    "views/follow_up.py": "33 of 43 responders",  # "sustained response of at least 3 months" in 33 of 43
    "views/overview.py": "Overall response at best response 43 (78.2 %)",  # Table 2: 43 (78.2 %)
    "views/patient.py": "Best response",
    "views/publication.py": "171 of 171 published figures",
    "views/response.py": "Overall response (CR + MR + PR) | 43 (78.2 %)",
    "views/safety.py": "Patients with an adverse event 16 (29.1 %)",  # 16 patients with side effects
    "views/symptoms.py": "Anaphylaxis | ",
    "views/time_to_response.py": "Median time to first response 2 months",  # "median time to first response 2 months"
}

# By hand. A: flushing 1 -> 0.5 -> 0.25, diarrhea 1 -> 1 -> 0.5 (months 0, 1, 4): score 1.5 of 2 at
# month 1 (25 %, PR), 0.75 at month 4 (62.5 %, MR). B (idiopathic MCAS): fatigue 1, 1, 1.5: NR. So 1 of 2
# responders (50.0 %), first response at 1 month, best at 4, A's run from 1 to 4 sustained (3 months);
# 9 symptom rows; at best response flushing 0.25 and diarrhea 0.5; ISM 1/1 vs idiopathic 0/1: 100 points.
REQUIRED_ONLY_SHOWS = {
    "views/anaphylaxis.py": "No data: the loaded cohort has no anaphylaxis table",
    "views/literature.py": "Overall response to omalizumab in published series",  # caption only: key figure not yet chosen
    "views/biology.py": "No data: the loaded cohort has no labs table",
    "views/candidate.py": "Enter the candidate's diagnosis and symptoms",
    "views/data.py": "Symptoms (one row per patient, symptom and month): 9 rows",
    "views/dosing.py": "No data: the loaded cohort has no doses table",
    "views/instruments.py": "No data: the loaded cohort has no questionnaire scores table",
    "views/follow_up.py": "1 of 1 responders (100.0 %",
    "views/overview.py": "Overall response at best response 1 (50.0 %)",
    "views/patient.py": "Best response MR (62 %)",
    "views/publication.py": "all patients: best: overall response | 43 (78.2 %) | 1 (50.0 %)",
    "views/response.py": "Difference ISM − Idiopathic MCAS: 100.0 percentage points",
    "views/safety.py": "No data: the loaded cohort has no adverse events table",
    "views/symptoms.py": "Flushing | Other | 1 | 1 | 1 (100.0 %)",  # counts; the mean scores are in the second table
    "views/time_to_response.py": "Median time to best response 4 months",
}

# By hand: pruritus 1 -> 0 at month 2: CR at 2 months, one assessment (not sustained), 2 symptom rows.
ONE_PATIENT_SHOWS = {
    "views/anaphylaxis.py": "No data: the loaded cohort has no anaphylaxis table",
    "views/literature.py": "Overall response to omalizumab in published series",  # caption only: key figure not yet chosen
    "views/biology.py": "No data: the loaded cohort has no labs table",
    "views/candidate.py": "Enter the candidate's diagnosis and symptoms",
    "views/data.py": "Symptoms (one row per patient, symptom and month): 2 rows",
    "views/dosing.py": "No data: the loaded cohort has no doses table",
    "views/instruments.py": "No data: the loaded cohort has no questionnaire scores table",
    "views/follow_up.py": "0 of 1 responders (0.0 %",
    "views/overview.py": "Overall response at best response 1 (100.0 %)",
    "views/patient.py": "Best response CR (100 %)",
    "views/publication.py": "all patients: best: CR | 1 (1.8 %) | 1 (100.0 %)",
    "views/response.py": "Complete response | 1 (100.0 %)",
    "views/safety.py": "No data: the loaded cohort has no adverse events table",
    "views/symptoms.py": "Pruritus | Other | 1 | 1 | 1 (100.0 %) | 0 (0.0 %) | 0 (0.0 %) | 1 (100.0 %)",
    "views/time_to_response.py": "Median time to first response 2 months",
}


def test_every_page_has_a_title_and_key_figures():
    pages = set(page_files())
    assert set(TITLES) == pages and set(DEMO_SHOWS) == pages and set(REQUIRED_ONLY_SHOWS) == pages and set(ONE_PATIENT_SHOWS) == pages


def _shown(at) -> str:
    """Text, metrics and every table row as "cell | cell | ..." (index first)."""
    rows = []
    for table in page_tables(at):
        for index, row in zip(table.index, table.itertuples(index=False)):
            rows.append(" | ".join(str(cell) for cell in (index, *row)))
    return shown_text(at) + "\n" + "\n".join(rows)


def _check(at, page, expected):
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title][:1] == [TITLES[page]]
    shown = _shown(at)
    assert expected[page] in shown, shown[:3000]


@pytest.mark.parametrize("page", page_files())
def test_page_runs_on_the_demo_cohort(page):
    at = app_on(page=page)
    _check(at, page, DEMO_SHOWS)
    assert "of 55 patients" in shown_text(at) or page.endswith("data.py")


@pytest.mark.parametrize("page", page_files())
def test_page_runs_on_a_cohort_with_only_the_required_tables(page):
    _check(app_on(_required_tables_only(), page=page), page, REQUIRED_ONLY_SHOWS)


@pytest.mark.parametrize("page", page_files())
def test_page_runs_on_a_one_patient_cohort(page):
    _check(app_on(_one_patient(), page=page), page, ONE_PATIENT_SHOWS)
