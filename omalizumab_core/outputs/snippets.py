"""The code behind every table and figure: a short script that re-creates it from the original file.

Each output the dashboard shows has a name here (``OUTPUTS``) and a few lines
of code written with the public API only (``import omalizumab_core as oc``).
:func:`output_code` puts them after the lines that load the cohort, score it
with the chosen worsening rule and apply the sidebar's filters, so a
co-author or a reviewer re-runs exactly what was on the screen: the script
leaves the table in ``table`` (or ``tables``) and prints it, or the figure in
``figure`` and shows it. ``tests/test_output_code.py`` runs every page's
scripts and checks they give what the page shows.

The script holds no patient data: only the file name, the filters and the
page's settings (and, for the MDT candidate page, the candidate as entered).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Callable, Mapping

import numpy as np

from omalizumab_core.analyses.filters import FilterSpec, describe

DEMO_SOURCE = "demo"


@dataclass(frozen=True)
class Output:
    """One table or figure of a page: what it is, and its code given the page's settings."""

    title: str
    kind: str  # "table", "tables" or "figure": the variable the script leaves the output in
    settings: tuple[str, ...]
    code: Callable[..., str]


def _literal(value):
    """A setting as a Python literal (numpy scalars as plain numbers, lists as tuples)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        return tuple(_literal(v) for v in value)
    return value


def _r(value) -> str:
    return repr(_literal(value))


def _filters_literal(spec: FilterSpec) -> str:
    changed = [
        f"{f.name}={_r(getattr(spec, f.name))}"
        for f in dataclasses.fields(FilterSpec)
        if getattr(spec, f.name) != f.default
    ]
    return f"oc.FilterSpec({', '.join(changed)})"


def _candidate_literal(candidate) -> str:
    values = [f"{f.name}={_r(getattr(candidate, f.name))}" for f in dataclasses.fields(candidate)]
    return f"oc.Candidate({', '.join(values)})"


# --- the code of each output: keyword settings -> lines using `scored` ------------------------

def _course(s) -> str:
    return f"course = oc.patient_course(scored, {_r(s['patient_id'])})\n"


def _course_ends(s) -> str:
    return _course(s) + (
        'end = None if course.header["still_treated"] else course.header["treatment_end_month"]\n'
        'last = course.header["months_on_treatment"]\n'
    )


def _assessment(s) -> str:
    return f"candidate = {_candidate_literal(s['candidate'])}\nassessment = oc.assess_candidate(scored, candidate, k={_r(s['k'])})\n"


def _symptoms(s) -> str:
    return f"changes = oc.symptom_changes(scored, at={_r(s['at'])}, level={_r(s['level'])}, adjust={_r(s['adjust'])})\n"


def _pairs(s) -> str:
    return f"pairs = oc.lab_pairs(scored, {_r(s['analyte'])}, stable_within_pct={_r(s['stable_within_pct'])})\n"


def _curves(s) -> str:
    return f"curves = oc.time_to_response_curves(scored, by={_r(s['by'])}, method={_r(s['method'])})\n"


def _ttr_args(s) -> str:
    return f"scored, by={_r(s['by'])}, method={_r(s['method'])}"


_SAFETY_TABLE = "events = oc.adverse_event_table(scored, by_severity=True)\n"
_WEIGHTS_NAMES = '{"symptom": "Candidate\'s symptom", "patients": "Patients with it at baseline", "weight": "Weight"}'

OUTPUTS: dict[str, Output] = {
    # Overview
    "table1": Output("Patients' characteristics (Table 1)", "table", (), lambda s: "table = oc.format_table1(oc.table1(scored))\n"),
    "headline_figures": Output("Headline figures", "table", (), lambda s: "table = oc.format_headline(oc.headline_figures(scored))\n"),
    "table2_counts": Output("Best response and response at last follow-up (Table 2, counts)", "table", (),
                            lambda s: "table = oc.format_table2(oc.table2_counts(scored.outcomes))\n"),
    # Response
    "table2": Output("Response (Table 2) with 95 % CIs", "table", ("by",),
                     lambda s: f"table = oc.table2_with_ci(scored, by={_r(None if s['by'] == 'subgroup' else s['by'])})\n"),
    "response_comparison": Output(
        "Comparison of two groups", "table", ("by", "level_a", "level_b", "measure"),
        lambda s: f"comparison = oc.compare_subgroups(scored, by={_r(s['by'])}, level_a={_r(s['level_a'])}, level_b={_r(s['level_b'])}, "
        f"measure={_r(s['measure'])})\ntable, sentence = oc.format_comparison(comparison)\nprint(sentence)\n"),
    "response_forest": Output("Overall response rate by patient characteristic", "figure", ("characteristics",),
                              lambda s: f"figure = oc.forest_plot(oc.forest_rows(scored, by_variables={_r(s['characteristics'])}))\n"),
    "response_waterfall": Output("Best decrease in symptom score", "figure", (), lambda s: "figure = oc.waterfall_plot(oc.waterfall_data(scored))\n"),
    "predictors_forest": Output("Odds ratios of response", "figure", (),
                                lambda s: "figure = oc.odds_ratio_forest_plot(oc.response_predictors(scored))\n"),
    "predictors": Output("Odds ratios of response", "table", (), lambda s: "table = oc.format_predictors(oc.response_predictors(scored))\n"),
    "multivariable_predictors": Output(
        "Multivariable model of response", "table", ("characteristics",),
        lambda s: f"model = oc.multivariable_predictors(scored, characteristics={_r(s['characteristics'])})\n"
        'if model.attrs["warning"]:\n    print(model.attrs["warning"])\ntable = oc.format_predictors(model)\n'),
    # Time to response
    "time_to_response_curves": Output(
        "Cumulative incidence of response", "figure", ("by", "method", "show_ci"),
        lambda s: _curves(s) + f"figure = oc.cumulative_incidence_plot(curves, by={_r(s['by'])}, show_ci={_r(s['show_ci'])})\n"),
    "time_to_response_tests": Output("Tests between the curves", "table", ("by", "method"),
                                     lambda s: f"table = oc.format_time_to_response_tests(oc.time_to_response_tests({_ttr_args(s)}))\n"),
    "time_to_response_landmarks": Output("Patients responding at landmark months", "table", ("by", "method"),
                                         lambda s: _curves(s) + f"table = oc.format_incidence_at(oc.incidence_at(curves), by={_r(s['by'])})\n"),
    "time_to_response_summary": Output(
        "Time to response: summary", "table", ("by", "method"),
        lambda s: f"table = oc.format_time_to_response_summary(oc.time_to_response_summary({_ttr_args(s)}), by={_r(s['by'])})\n"),
    "time_to_response_histogram": Output("Months to response", "figure", (),
                                         lambda s: "figure = oc.response_time_histogram(oc.response_times(scored))\n"),
    "first_improvement": Output("First improvement by symptom category", "table", (),
                                lambda s: "table = oc.format_first_improvement(oc.first_improvement_by_category(scored))\n"),
    "first_improvement_figure": Output("First improvement by symptom category", "figure", (),
                                       lambda s: "figure = oc.first_improvement_plot(oc.first_improvement_by_category(scored))\n"),
    # Symptoms
    "symptom_table": Output("Symptom scores before and under omalizumab", "table", ("at", "level", "adjust"),
                            lambda s: _symptoms(s) + "table = oc.format_symptom_table(changes)\n"),
    "symptom_scores": Output("Symptom scores (Figure 1)", "figure", ("at", "level", "adjust"),
                             lambda s: _symptoms(s) + "figure = oc.symptom_score_bars(changes)\n"),
    "symptom_improvement": Output("Share of patients improved", "figure", ("at", "level", "adjust"),
                                  lambda s: _symptoms(s) + "figure = oc.improvement_share_bars(oc.improvement_shares(changes))\n"),
    "symptom_heatmap": Output("Symptom scores, patient by patient", "figure", ("at", "level"),
                              lambda s: f"figure = oc.symptom_heatmap(oc.symptom_heatmap_data(scored, at={_r(s['at'])}, level={_r(s['level'])}))\n"),
    # Follow-up
    "follow_up_sankey": Output("Best response to response at last follow-up (Figure 2)", "figure", (),
                               lambda s: "figure = oc.sankey(oc.response_flows(scored))\n"),
    "follow_up_flows": Output("Best response to response at last follow-up", "table", (),
                              lambda s: "table = oc.format_flows(oc.response_flows(scored))\n"),
    "duration_of_therapy": Output("Duration of omalizumab therapy", "table", (),
                                  lambda s: "table = oc.format_durations(oc.duration_by_best_response(scored))\n"),
    "duration_of_therapy_figure": Output("Duration of omalizumab therapy", "figure", (),
                                         lambda s: "bars, events = oc.swimmer_data(scored)\nfigure = oc.duration_box(bars)\n"),
    "follow_up_swimmer": Output("Course of each patient", "figure", (),
                                lambda s: "bars, events = oc.swimmer_data(scored)\nfigure = oc.swimmer_plot(bars, events)\n"),
    # Dosing
    "dosing_summary": Output("Changes of regimen and response", "table", (),
                             lambda s: "table = oc.format_dosing_summary(oc.dosing_summary(scored))\n"),
    "dosing_response_around_changes": Output("Response around each change of regimen", "figure", (),
                                             lambda s: "figure = oc.response_around_changes(oc.dose_changes(scored))\n"),
    "dose_changes": Output("Each change of regimen", "table", (), lambda s: "table = oc.format_dose_changes(oc.dose_changes(scored))\n"),
    "dosing_regimens": Output("Regimens over time", "figure", (),
                              lambda s: "figure = oc.regimen_timeline(oc.regimens(scored), scored.outcomes)\n"),
    # Safety
    "adverse_events": Output("Adverse events", "table", ("by_severity",),
                             lambda s: _SAFETY_TABLE + f"table = oc.format_adverse_event_table(events, by_severity={_r(s['by_severity'])})\n"),
    "adverse_events_figure": Output("Adverse events", "figure", (), lambda s: _SAFETY_TABLE + "figure = oc.adverse_event_bars(events)\n"),
    "adverse_event_timing": Output("When adverse events happened", "table", (),
                                   lambda s: "table = oc.format_adverse_event_timing(oc.adverse_event_timing(scored))\n"),
    "adverse_event_timing_figure": Output("When adverse events happened", "figure", (),
                                          lambda s: "figure = oc.adverse_event_timing_bars(oc.adverse_event_timing(scored))\n"),
    "safety_summary": Output("Safety summary", "table", (), lambda s: "table = oc.format_safety_summary(oc.safety_summary(scored))\n"),
    # Biology
    "lab_tests": Output("Before and on omalizumab", "table", ("analyte", "stable_within_pct"),
                        lambda s: _pairs(s) + f"table = oc.format_lab_tests(oc.lab_tests(pairs), stable_within_pct={_r(s['stable_within_pct'])})\n"),
    "lab_paired_plot": Output("Each patient before and on omalizumab", "figure", ("analyte", "stable_within_pct"),
                              lambda s: _pairs(s) + "figure = oc.paired_plot(pairs)\n"),
    "lab_by_response": Output(
        "By best response", "table", ("analyte", "stable_within_pct"),
        lambda s: f"by_response = oc.lab_by_response(scored, {_r(s['analyte'])}, stable_within_pct={_r(s['stable_within_pct'])})\n"
        f"table = oc.format_lab_tests(by_response, stable_within_pct={_r(s['stable_within_pct'])})\n"),
    "lab_patients": Output("Each patient", "table", ("analyte", "stable_within_pct"),
                           lambda s: _pairs(s) + f"table = oc.format_lab_pairs(pairs, stable_within_pct={_r(s['stable_within_pct'])})\n"),
    # Anaphylaxis
    "anaphylaxis_outcomes": Output("Patients with anaphylaxis before omalizumab", "table", (),
                                   lambda s: "table = oc.format_anaphylaxis_outcomes(oc.anaphylaxis_outcomes(scored))\n"),
    "anaphylaxis_rates": Output("Episodes per patient-year", "table", (),
                                lambda s: "table = oc.format_anaphylaxis_rates(oc.anaphylaxis_rates(scored))\n"),
    "anaphylaxis_per_patient": Output("Episodes per patient", "figure", (),
                                      lambda s: "figure = oc.anaphylaxis_dot_plot(oc.anaphylaxis_periods(scored))\n"),
    # Patient
    "patient_course_figure": Output(
        "The patient's course: score, doses, adverse events and labs on one month axis", "figure", ("patient_id",),
        lambda s: _course_ends(s) + 'figure = oc.patient_course_figure(course.trajectory, course.header["baseline_symptoms"], course.doses, '
                                    "course.adverse_events, course.labs, end_month=end, last_month=last)\n"),
    "patient_symptoms_figure": Output("The patient's symptoms", "figure", ("patient_id",),
                                      lambda s: _course(s) + "figure = oc.symptom_heatmap_figure(course.grid)\n"),
    "patient_subgroup_figure": Output("Compared with the subgroup", "figure", ("patient_id",),
                                      lambda s: _course(s) + "figure = oc.subgroup_response_figure(course.comparison.counts, course.comparison.subgroup)\n"),
    "patient_subgroup_timing": Output("Compared with the subgroup", "table", ("patient_id",),
                                      lambda s: _course(s) + "table = oc.format_subgroup_timing(course.comparison)\n"),
    "patient_score": Output("The patient's symptom score", "table", ("patient_id",),
                            lambda s: _course(s) + "table = oc.format_trajectory(course.trajectory)\n"),
    "patient_symptoms": Output("The patient's symptoms", "table", ("patient_id",),
                               lambda s: _course(s) + "table = oc.format_symptom_grid(course.grid)\n"),
    "patient_events": Output("Doses, events, labs", "table", ("patient_id",),
                             lambda s: _course(s) + "table = oc.format_events(course.doses, course.adverse_events, course.labs)\n"),
    # MDT candidate
    "candidate_sensitivity": Output("Comparable patients, subgroup and selection", "table", ("candidate", "k"),
                                    lambda s: _assessment(s) + "table = oc.format_sensitivity(assessment.sensitivity, candidate)\n"),
    "candidate_comparable": Output("Comparable patients", "table", ("candidate", "k"),
                                   lambda s: _assessment(s) + "table = oc.format_comparable(assessment.comparable)\n"),
    "candidate_relaxation": Output("How the comparable patients were chosen", "table", ("candidate", "k"),
                                   lambda s: _assessment(s) + "table = oc.format_relaxation(assessment.relaxation, assessment.k)\n"),
    "candidate_symptom_weights": Output("Weights of the candidate's symptoms", "table", ("candidate", "k"),
                                        lambda s: _assessment(s) + f"table = assessment.found.symptom_weights.rename(columns={_WEIGHTS_NAMES})\n"),
    "candidate_outcomes": Output("Outcomes of the comparable patients", "table", ("candidate", "k"),
                                 lambda s: _assessment(s) + "table = oc.format_candidate_outcomes(assessment.outcomes)\n"),
    "candidate_response": Output(
        "Outcomes of the comparable patients", "figure", ("candidate", "k"),
        lambda s: _assessment(s) + "figure = oc.comparable_response_rates(assessment.outcomes.rates, assessment.outcomes.n)\n"),
    "candidate_symptoms": Output("Evolution of the candidate's symptoms in the cohort", "table", ("candidate", "k"),
                                 lambda s: _assessment(s) + "table = oc.format_symptom_outcomes(assessment.symptoms)\n"),
    "candidate_symptoms_figure": Output("Evolution of the candidate's symptoms in the cohort", "figure", ("candidate", "k"),
                                        lambda s: _assessment(s) + "figure = oc.symptom_evolution(assessment.symptoms)\n"),
    "candidate_safety": Output("Safety signals among the comparable patients", "table", ("candidate", "k"),
                               lambda s: _assessment(s) + "table = oc.format_safety(assessment.safety)\n"),
    # Published study, published series
    "publication_comparison": Output(
        "Published study vs this cohort", "tables", ("only_differences",),
        lambda s: "comparison = oc.publication_comparison(scored)\n"
        + f"tables = [table for _, table in oc.format_publication_sections(comparison, only_differences={s['only_differences']!r})]\n"),
    "literature_forest": Output("Overall response in published series", "figure", ("cohort_name",),
                                lambda s: f"series = oc.literature_comparison({{{_r(s['cohort_name'])}: scored}})\nfigure = oc.literature_forest_plot(series)\n"),
    "literature": Output("Overall response in published series", "table", ("cohort_name",),
                         lambda s: f"table = oc.format_literature(oc.literature_comparison({{{_r(s['cohort_name'])}: scored}}))\n"),
    "literature_sources": Output(
        "Where each number comes from", "table", ("cohort_name",),
        lambda s: f"series = oc.literature_comparison({{{_r(s['cohort_name'])}: scored}})\n"
        'table = series[["study", "source"]].rename(columns={"study": "Study", "source": "Source"})\n'),
}
"""Output name -> its title, kind, the page settings it needs and its code."""

_ENDINGS = {
    "table": "print(table.to_string())\n",
    "tables": "for table in tables:\n    print(table.to_string(), end=\"\\n\\n\")\n",
    "figure": "figure.show()  # or figure.write_html(\"figure.html\")\n",
}


def source_path(source: str) -> tuple[str, str]:
    """The path a script loads, and a comment for it, from a cohort's ``source`` description.

    ``"demo"`` (or a synthetic cohort's description) loads the shipped demo
    cohort; an upload of one file loads that file name; several uploaded files
    load a folder that holds them (``oc.load_cohort`` reads a folder of
    ``<table>.csv`` or ``.parquet`` files).
    """
    if source == DEMO_SOURCE or "synthetic" in source.lower():
        return DEMO_SOURCE, "the synthetic demo cohort"
    name = source.removeprefix("Upload: ").strip()
    if name.endswith("uploaded files"):
        return "cohort_folder", f"the folder holding the {name}: put the path to it here"
    return name, "the file loaded in the dashboard: put its path here"


def load_lines(source: str | Mapping[str, str]) -> list[str]:
    """The lines of a script that leave the analysed cohort in ``cohort``.

    ``source`` is one cohort's ``source`` description (see :func:`source_path`),
    or, for several cohorts analysed together (pooled or compared), a mapping
    of each cohort's name to its source: the script then loads each one and
    pools them under the same names, as the dashboard does.

    Examples
    --------
    >>> print("\\n".join(load_lines({"Demo cohort": "demo", "Centre B": "Upload: centre_b.xlsx"})))
    cohort = oc.pool_cohorts({
        'Demo cohort': oc.load_cohort('demo'),  # the synthetic demo cohort
        'Centre B': oc.load_cohort('centre_b.xlsx'),  # the file loaded in the dashboard: put its path here
    })
    """
    if isinstance(source, str):
        path, comment = source_path(source)
        return [f"cohort = oc.load_cohort({path!r})  # {comment}"]
    lines = ["cohort = oc.pool_cohorts({"]
    for name, member in source.items():
        path, comment = source_path(member)
        lines.append(f"    {name!r}: oc.load_cohort({path!r}),  # {comment}")
    return [*lines, "})"]


def output_code(output: str, *, source: str | Mapping[str, str] = DEMO_SOURCE, filters: FilterSpec | None = None,
                worsening_rule: str = "any_symptom", **settings) -> str:
    """A runnable Python script that re-creates one table or figure of the dashboard.

    The script loads the original file, scores it with the worsening rule,
    applies the filters and computes the output with the public API only; it
    leaves a table in ``table`` (a list of tables in ``tables`` for the
    Publication page) and prints it, or a plotly figure in ``figure`` and
    shows it.

    Parameters
    ----------
    output : str
        Name of the output, a key of ``OUTPUTS`` (e.g. ``"table2"``,
        ``"symptom_heatmap"``).
    source : str or mapping of str to str
        ``"demo"``, or the loaded cohort's ``source`` description (an upload's
        file name): the script loads that file name, to be replaced by its path.
        For several cohorts analysed together, ``{cohort name: source}``: the
        script pools them (see :func:`load_lines`).
    filters : FilterSpec, optional
        The sidebar's filter selection (None: all patients).
    worsening_rule : {"any_symptom", "total_score"}
        The response rule for a worsened symptom.
    **settings
        The page's settings the output depends on (``OUTPUTS[output].settings``),
        e.g. ``by="sex"`` for Table 2; a setting not listed is ignored.

    Returns
    -------
    str
        The script, a few lines long; it holds no patient data (only the file
        name, the filters and the settings).

    Raises
    ------
    ValueError
        Unknown output name, or a setting the output needs is missing (the
        message names it).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> code = oc.output_code("table2", filters=oc.FilterSpec(sex=("F",)), by="subgroup")
    >>> print(code.split("\\n\\n", 1)[1])  # doctest: +ELLIPSIS
    import omalizumab_core as oc
    <BLANKLINE>
    cohort = oc.load_cohort('demo')  # the synthetic demo cohort
    scored = oc.score_cohort(cohort, worsening_rule='any_symptom')
    scored = oc.apply_filters(scored, oc.FilterSpec(sex=('F',)))  # Sex: Female
    <BLANKLINE>
    table = oc.table2_with_ci(scored, by=None)
    print(table.to_string())
    <BLANKLINE>
    >>> namespace = {}
    >>> exec(code.replace("print(", "len("), namespace)
    >>> namespace["table"].columns[0]
    'All patients (N=38)'
    """
    if output not in OUTPUTS:
        raise ValueError(f"unknown output '{output}'; valid outputs: {', '.join(OUTPUTS)}.")
    spec = OUTPUTS[output]
    missing = [name for name in spec.settings if name not in settings]
    if missing:
        raise ValueError(f"the code of '{output}' needs the page setting(s) {', '.join(missing)}.")
    filters = filters or FilterSpec()
    lines = [
        f"# {spec.title}, as the dashboard shows it. Re-run it in a Python with the dashboard's requirements (README).",
        "",
        "import omalizumab_core as oc",
        "",
        *load_lines(source),
        f"scored = oc.score_cohort(cohort, worsening_rule={worsening_rule!r})",
    ]
    if not filters.is_empty:
        words = "; ".join(f"{label}: {levels}" for label, levels in describe(filters).items())
        lines.append(f"scored = oc.apply_filters(scored, {_filters_literal(filters)})  # {words}")
    return "\n".join(lines) + "\n\n" + spec.code(settings) + _ENDINGS[spec.kind]
