"""Table 2 counts: columns, zero counts, MMAS vs idiopathic."""

from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.engine.response_table import response_counts, response_table
from tests.handmade import cohort_of, course, patient


def _cohort():
    # A: ISM, CR still treated. B: MMAS, PR still treated. C: idiopathic MCAS,
    # NR stopped for lack of efficacy. D: SSM, MR then stopped for intolerance.
    return cohort_of(
        [
            patient("A", diagnosis="ISM"),
            patient("B", diagnosis="MCAS", kit_d816v="positive"),
            patient("C", diagnosis="MCAS", kit_d816v="negative", treatment_end_month=2.0, end_reason="lack_of_efficacy"),
            patient("D", diagnosis="SSM", treatment_end_month=5.0, end_reason="intolerance"),
        ],
        course("A", {"a": {0: 1, 1: 0}})
        + course("B", {"a": {0: 1, 1: 0.75}})
        + course("C", {"a": {0: 1, 1: 1}})
        + course("D", {"a": {0: 1, 1: 0.25}}),
    )


def test_standard_columns_always_present_and_other_subgroups_added():
    counts = response_counts(score_cohort(_cohort()).outcomes)
    assert list(counts) == ["all", "primary", "ISM", "CM", "MMAS", "idiopathic", "SSM"]
    assert counts["CM"] == {"n": 0, "best": {"CR": 0, "MR": 0, "PR": 0, "NR": 0}, "last": {s: 0 for s in counts["CM"]["last"]}}


def test_counts_by_column_for_best_and_last_status():
    counts = response_counts(score_cohort(_cohort()).outcomes)
    assert counts["all"]["n"] == 4
    assert counts["all"]["best"] == {"CR": 1, "MR": 1, "PR": 1, "NR": 1}
    assert counts["all"]["last"] == {
        "CR": 1, "MR": 0, "PR": 1, "no_response": 1, "loss_of_response": 0, "intolerance": 1, "lost_or_other": 0,
    }
    assert counts["primary"]["n"] == 3  # ISM, MMAS, SSM
    assert counts["MMAS"]["best"]["PR"] == 1
    assert counts["idiopathic"]["last"]["no_response"] == 1


def test_long_table_has_one_row_per_column_section_and_category():
    table = response_table(score_cohort(_cohort()).outcomes)
    assert len(table) == 7 * (4 + 7)
    row = table[(table["column"] == "all") & (table["section"] == "best") & (table["category"] == "CR")]
    assert row[["n", "total"]].values.tolist() == [[1, 4]]


def test_table2_layout_derives_orr_and_persistent_rows():
    from omalizumab_core.engine.response_table import table2_counts

    t = table2_counts(score_cohort(_cohort()).outcomes)
    assert t.loc[("", "Patients"), "all"] == 4
    assert t.loc[("Best response", "Overall response (CR + MR + PR)"), "all"] == 3
    # Still treated in CR (A) and PR (B) -> persistent 2; everyone else 2.
    assert t.loc[("Response at last follow-up", "Persistent overall response"), "all"] == 2
    assert t.loc[("Response at last follow-up", "No persistent response"), "all"] == 2
