"""The published-vs-derived table works on any cohort, optional tables missing included."""

from omalizumab_core.engine import score_cohort
from omalizumab_core.publication import NOT_AVAILABLE, publication_comparison
from tests.handmade import cohort_of, course, patient


def test_comparison_on_a_small_cohort_without_optional_tables_says_not_available():
    cohort = cohort_of([patient("A"), patient("B", sex="M")], course("A", {"flushing": {0: 1, 2: 0}}) + course("B", {"fatigue": {0: 1, 2: 1}}))
    table = publication_comparison(score_cohort(cohort))
    row = table[table["quantity"] == "all patients: best: overall response"].iloc[0]
    assert (row["published"], row["derived"], bool(row["agrees"])) == ("43 (78.2 %)", "1 (50.0 %)", False)
    assert table.loc[table["quantity"] == "Dose escalations", "derived"].iloc[0] == NOT_AVAILABLE
    assert table.loc[table["quantity"] == "Sex, male/female", "derived"].iloc[0] == "1/1"
