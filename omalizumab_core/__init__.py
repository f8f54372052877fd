"""Omalizumab outcomes in mast cell disorders: the pure-Python core of the dashboard.

Implements the symptom-score response method of Lemal et al., J Allergy Clin
Immunol Pract 2019;7:2387-95 (see docs/method.md). Never imports streamlit.

One public API, for pages, the CLI, the report and users' own scripts::

    import omalizumab_core as oc

    cohort = oc.load_cohort("demo")          # or a path to .xlsx / .zip / folder
    scored = oc.score_cohort(cohort)         # the response engine
    oc.table2(scored, by="sex")              # Table 2 with exact CIs
    oc.symptom_changes(scored)               # Figure 1, symptom by symptom

Every name in ``__all__`` is listed with an example in docs/api.md. Names are
imported on first use (PEP 562), so ``import omalizumab_core`` stays cheap and
a page pays only for the analyses it shows.

The subpackages follow the data flow; each imports only from those before it
(tests/test_layers.py keeps it so):

``formatting`` (numbers as a paper prints them) → ``data`` (reading and
validation of every input form) → ``stats`` (exact CIs, signed-rank,
Kaplan–Meier, multiplicity) → ``engine`` (symptom score, CR/MR/PR/NR, Table 2
counts) → ``analyses`` (one module per question a page answers) → ``outputs``
(figures, reports, exports) → ``synthetic`` (demo and registry-scale cohorts)
→ ``sources`` → ``cli``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API: dict[str, tuple[str, str]] = {
    # sources
    "load_cohort": ("sources", "load_cohort"),
    # data.loading
    "load_upload": ("data.loading", "load_upload"),
    # data.template
    "template_workbook": ("data.template", "template_workbook"),
    # data.importers (issue 15)
    "redcap_dictionary_csv": ("data.importers.redcap_dictionary", "redcap_dictionary_csv"),
    "suggest_columns": ("data.importers.mapping", "suggest_columns"),
    "suggest_codes": ("data.importers.mapping", "suggest_codes"),
    "export_cohort": ("outputs.cohort_files", "export_cohort"),
    # data.problems
    "Problem": ("data.problems", "Problem"),
    "problems_frame": ("data.problems", "problems_frame"),
    "problem_summary": ("data.problems", "problem_summary"),
    "CohortError": ("data.problems", "CohortError"),
    "TooFewPatients": ("data.problems", "TooFewPatients"),
    # data.cohort
    "Cohort": ("data.cohort", "Cohort"),
    # engine.scoring
    "ScoredCohort": ("engine.scoring", "ScoredCohort"),
    "score_cohort": ("engine.scoring", "score_cohort"),
    "diagnosis_subgroup": ("engine.scoring", "diagnosis_subgroup"),
    # engine.response_table
    "response_counts": ("engine.response_table", "response_counts"),
    "table2_counts": ("engine.response_table", "table2_counts"),
    "format_table2": ("engine.response_table", "format_table2"),
    # stats.exact
    "proportion_ci": ("stats.exact", "proportion_ci"),
    "wilson_ci": ("stats.exact", "wilson_ci"),
    "difference_ci": ("stats.exact", "difference_ci"),
    "fisher_exact_test": ("stats.exact", "fisher_exact_test"),
    # stats.kaplan_meier
    "kaplan_meier": ("stats.kaplan_meier", "kaplan_meier"),
    "km_quantiles": ("stats.kaplan_meier", "km_quantiles"),
    "numbers_at_risk": ("stats.kaplan_meier", "numbers_at_risk"),
    # stats.competing_risks
    "aalen_johansen": ("stats.competing_risks", "aalen_johansen"),
    "incidence_quantiles": ("stats.competing_risks", "incidence_quantiles"),
    "gray_test": ("stats.competing_risks", "gray_test"),
    "logrank_test": ("stats.competing_risks", "logrank_test"),
    # stats.multiple_testing
    "adjust_pvalues": ("stats.multiple_testing", "adjust_pvalues"),
    "significance_stars": ("stats.multiple_testing", "significance_stars"),
    # stats.signed_rank
    "wilcoxon_signed_rank": ("stats.signed_rank", "wilcoxon_signed_rank"),
    "signed_rank_test": ("stats.signed_rank", "signed_rank_test"),
    "hodges_lehmann": ("stats.signed_rank", "hodges_lehmann"),
    "paired_effect_sizes": ("stats.signed_rank", "paired_effect_sizes"),
    "geometric_mean_ratio": ("stats.signed_rank", "geometric_mean_ratio"),
    # stats.firth
    "conditional_odds_ratio": ("stats.firth", "conditional_odds_ratio"),
    "firth_logistic": ("stats.firth", "firth_logistic"),
    # analyses.predictors
    "predictor_data": ("analyses.predictors", "predictor_data"),
    "predictor_characteristics": ("analyses.predictors", "predictor_characteristics"),
    "response_predictors": ("analyses.predictors", "response_predictors"),
    "multivariable_predictors": ("analyses.predictors", "multivariable_predictors"),
    "format_predictors": ("analyses.predictors", "format_predictors"),
    # analyses.filters
    "FilterSpec": ("analyses.filters", "FilterSpec"),
    "extra_columns": ("analyses.filters", "extra_columns"),
    "filter_index": ("analyses.filters", "filter_index"),
    "filter_options": ("analyses.filters", "filter_options"),
    "apply_filters": ("analyses.filters", "apply_filters"),
    "describe": ("analyses.filters", "describe"),
    "spec_to_query": ("analyses.filters", "spec_to_query"),
    "spec_from_query": ("analyses.filters", "spec_from_query"),
    "filter_level_counts": ("analyses.filter_counts", "level_counts"),
    # analyses.overview
    "headline_figures": ("analyses.overview", "headline_figures"),
    "format_headline": ("analyses.overview", "format_headline"),
    "table1_columns": ("analyses.overview", "table1_columns"),
    "table1": ("analyses.overview", "table1"),
    "format_table1": ("analyses.overview", "format_table1"),
    # analyses.response_rates
    "table2": ("analyses.response_rates", "table2_with_ci"),
    "group_values": ("analyses.response_rates", "group_values"),
    "group_levels": ("analyses.response_rates", "group_levels"),
    "response_variables": ("analyses.response_rates", "response_variables"),
    "response_rates": ("analyses.response_rates", "response_rates"),
    "format_table2_with_ci": ("analyses.response_rates", "format_table2_with_ci"),
    "table2_with_ci": ("analyses.response_rates", "table2_with_ci"),
    "compare_subgroups": ("analyses.response_rates", "compare_subgroups"),
    "format_comparison": ("analyses.response_rates", "format_comparison"),
    "forest_rows": ("analyses.response_rates", "forest_rows"),
    "waterfall_data": ("analyses.response_rates", "waterfall_data"),
    # analyses.time_to_response
    "response_time_data": ("analyses.time_to_response", "response_time_data"),
    "split_values": ("analyses.time_to_response", "split_values"),
    "response_times": ("analyses.time_to_response", "response_times"),
    "time_to_response_curves": ("analyses.time_to_response", "time_to_response_curves"),
    "time_to_response_summary": ("analyses.time_to_response", "time_to_response_summary"),
    "time_to_response_tests": ("analyses.time_to_response", "time_to_response_tests"),
    "format_time_to_response_tests": ("analyses.time_to_response", "format_time_to_response_tests"),
    "incidence_at": ("analyses.time_to_response", "incidence_at"),
    "format_incidence_at": ("analyses.time_to_response", "format_incidence_at"),
    "time_to_response_curve_headline": ("analyses.time_to_response", "curve_headline"),
    "format_time_to_response_summary": ("analyses.time_to_response", "format_time_to_response_summary"),
    "time_to_response_headline": ("analyses.time_to_response", "headline"),
    "first_improvement_times": ("analyses.time_to_response", "first_improvement_times"),
    "first_improvement_by_category": ("analyses.time_to_response", "first_improvement_by_category"),
    "format_first_improvement": ("analyses.time_to_response", "format_first_improvement"),
    # analyses.symptom_changes
    "symptom_scores": ("analyses.symptom_changes", "symptom_scores"),
    "symptom_changes": ("analyses.symptom_changes", "symptom_changes"),
    "format_symptom_table": ("analyses.symptom_changes", "format_symptom_table"),
    "symptom_heatmap_data": ("analyses.symptom_changes", "symptom_heatmap_data"),
    "score_distribution": ("analyses.symptom_changes", "score_distribution"),
    "improvement_shares": ("analyses.symptom_changes", "improvement_shares"),
    # analyses.follow_up
    "response_flows": ("analyses.follow_up", "response_flows"),
    "duration_by_best_response": ("analyses.follow_up", "duration_by_best_response"),
    "sustained_response": ("analyses.follow_up", "sustained_response"),
    "swimmer_data": ("analyses.follow_up", "swimmer_data"),
    "format_flows": ("analyses.follow_up", "format_flows"),
    "format_durations": ("analyses.follow_up", "format_durations"),
    "format_sustained": ("analyses.follow_up", "format_sustained"),
    "format_swimmer": ("analyses.follow_up", "format_swimmer"),
    # analyses.dosing
    "regimens": ("analyses.dosing", "regimens"),
    "dose_changes": ("analyses.dosing", "dose_changes"),
    "dosing_summary": ("analyses.dosing", "dosing_summary"),
    "format_dosing_summary": ("analyses.dosing", "format_dosing_summary"),
    "format_dose_changes": ("analyses.dosing", "format_dose_changes"),
    "regimen_labels": ("analyses.dosing", "regimen_labels"),
    "dosing_headline": ("analyses.dosing", "headline"),
    # analyses.safety
    "adverse_event_table": ("analyses.safety", "adverse_event_table"),
    "adverse_event_timing": ("analyses.safety", "adverse_event_timing"),
    "safety_summary": ("analyses.safety", "safety_summary"),
    "format_safety_summary": ("analyses.safety", "format_safety_summary"),
    "format_adverse_event_table": ("analyses.safety", "format_adverse_event_table"),
    "format_adverse_event_timing": ("analyses.safety", "format_adverse_event_timing"),
    "safety_headline": ("analyses.safety", "headline"),
    # analyses.biology
    "lab_pairs": ("analyses.biology", "lab_pairs"),
    "lab_tests": ("analyses.biology", "lab_tests"),
    "lab_by_response": ("analyses.biology", "lab_by_response"),
    "biology_headline": ("analyses.biology", "headline"),
    "format_lab_tests": ("analyses.biology", "format_lab_tests"),
    "format_lab_pairs": ("analyses.biology", "format_lab_pairs"),
    # analyses.patient_course
    "patient_header": ("analyses.patient_course", "patient_header"),
    "format_header": ("analyses.patient_course", "format_header"),
    "score_trajectory": ("analyses.patient_course", "score_trajectory"),
    "format_trajectory": ("analyses.patient_course", "format_trajectory"),
    "symptom_grid": ("analyses.patient_course", "symptom_grid"),
    "format_symptom_grid": ("analyses.patient_course", "format_symptom_grid"),
    "assessment_gaps": ("analyses.patient_course", "assessment_gaps"),
    "describe_gaps": ("analyses.patient_course", "describe_gaps"),
    "dose_timeline": ("analyses.patient_course", "dose_timeline"),
    "patient_adverse_events": ("analyses.patient_course", "patient_adverse_events"),
    "patient_labs": ("analyses.patient_course", "patient_labs"),
    "format_events": ("analyses.patient_course", "format_events"),
    "SubgroupComparison": ("analyses.patient_course", "SubgroupComparison"),
    "patient_vs_subgroup": ("analyses.patient_course", "patient_vs_subgroup"),
    "format_subgroup_timing": ("analyses.patient_course", "format_subgroup_timing"),
    "PatientCourse": ("analyses.patient_course", "PatientCourse"),
    "patient_course": ("analyses.patient_course", "patient_course"),
    # analyses.candidate
    "Candidate": ("analyses.candidate_profile", "Candidate"),
    "candidate_subgroup": ("analyses.candidate_profile", "candidate_subgroup"),
    "candidate_group": ("analyses.candidate_profile", "candidate_group"),
    "symptom_checklist": ("analyses.candidate_profile", "symptom_checklist"),
    "comparable_patients": ("analyses.comparable", "comparable_patients"),
    "format_comparable": ("analyses.comparable", "format_comparable"),
    "CandidateOutcomes": ("analyses.candidate", "CandidateOutcomes"),
    "candidate_outcomes": ("analyses.candidate", "candidate_outcomes"),
    "candidate_headline": ("analyses.candidate", "headline"),
    "format_candidate_outcomes": ("analyses.candidate", "format_candidate_outcomes"),
    "symptom_outcome_frequencies": ("analyses.candidate_signals", "symptom_outcome_frequencies"),
    "format_symptom_outcomes": ("analyses.candidate_signals", "format_symptom_outcomes"),
    "safety_signals": ("analyses.candidate_signals", "safety_signals"),
    "format_safety": ("analyses.candidate_signals", "format_safety"),
    "observed_statement": ("analyses.candidate", "observed_statement"),
    "describe_candidate": ("analyses.candidate", "describe_candidate"),
    "CandidateAssessment": ("analyses.candidate", "CandidateAssessment"),
    "assess_candidate": ("analyses.candidate", "assess_candidate"),
    # analyses.anaphylaxis
    "anaphylaxis_periods": ("analyses.anaphylaxis", "anaphylaxis_periods"),
    "anaphylaxis_rates": ("analyses.anaphylaxis", "anaphylaxis_rates"),
    "anaphylaxis_outcomes": ("analyses.anaphylaxis", "anaphylaxis_outcomes"),
    "format_anaphylaxis_rates": ("analyses.anaphylaxis", "format_anaphylaxis_rates"),
    "format_anaphylaxis_outcomes": ("analyses.anaphylaxis", "format_anaphylaxis_outcomes"),
    "anaphylaxis_dot_plot": ("outputs.figures.anaphylaxis", "anaphylaxis_dot_plot"),
    "poisson_rate_ratio": ("stats.rates", "poisson_rate_ratio"),
    # analyses.instruments (issue 23, part 1)
    "instrument_measures": ("analyses.instruments", "instrument_measures"),
    "instrument_changes": ("analyses.instruments", "instrument_changes"),
    "instrument_change_over_time": ("analyses.instruments", "instrument_change_over_time"),
    "instrument_responders": ("analyses.instruments", "instrument_responders"),
    "instrument_assessment_months": ("analyses.instruments", "instrument_assessment_months"),
    "instrument_response_times": ("analyses.instruments", "instrument_response_times"),
    "instrument_time_to_response": ("analyses.instruments", "instrument_time_to_response"),
    "instrument_categories": ("analyses.instruments", "instrument_categories"),
    "instrument_crosstab": ("analyses.instruments", "instrument_crosstab"),
    "instrument_agreement": ("analyses.instruments", "instrument_agreement"),
    "format_instrument_responders": ("analyses.instruments", "format_instrument_responders"),
    "format_instrument_crosstab": ("analyses.instruments", "format_instrument_crosstab"),
    "format_instrument_agreement": ("analyses.instruments", "format_instrument_agreement"),
    "instrument_change_figure": ("outputs.figures.instruments", "instrument_change_figure"),
    "instrument_response_curve": ("outputs.figures.instruments", "instrument_response_curve"),
    "InstrumentDefinition": ("data.instruments", "InstrumentDefinition"),
    "INSTRUMENT_DIRECTIONS": ("data.instruments", "DIRECTIONS"),
    "parse_instrument": ("data.instruments", "parse_instrument"),
    "parse_instrument_files": ("data.instruments", "parse_instrument_files"),
    "example_instrument": ("data.instruments", "example_instrument"),
    "example_instrument_text": ("data.instruments", "example_instrument_text"),
    "packaged_instruments": ("data.instruments", "packaged_instruments"),
    "add_instrument_definitions": ("data.instrument_recheck", "add_instrument_definitions"),
    "instrument_example_cohort": ("synthetic.instrument_example", "instrument_example_cohort"),
    "instrument_example_scored": ("synthetic.instrument_example", "instrument_example_scored"),
    "paired_rate_ratio": ("stats.rates", "paired_rate_ratio"),
    # analyses.beyond_score (issue 23: lines on the Overview, Patient and MDT pages and in the reports)
    "anaphylaxis_summary": ("analyses.beyond_score", "anaphylaxis_summary"),
    "instrument_summary": ("analyses.beyond_score", "instrument_summary"),
    "beyond_score_lines": ("analyses.beyond_score", "beyond_score_lines"),
    "patient_beyond_score_lines": ("analyses.beyond_score", "patient_beyond_score_lines"),
    "comparable_beyond_score_lines": ("analyses.beyond_score", "comparable_beyond_score_lines"),
    "candidate_summary": ("analyses.candidate", "candidate_summary"),
    "sensitivity_table": ("analyses.candidate", "sensitivity_table"),
    "format_sensitivity": ("analyses.candidate", "format_sensitivity"),
    "EXTRA_CHARACTERISTICS": ("analyses.candidate_profile", "EXTRA_CHARACTERISTICS"),
    # analyses.comparable
    "ComparableSet": ("analyses.comparable", "ComparableSet"),
    "find_comparable": ("analyses.comparable", "find_comparable"),
    "symptom_weights": ("analyses.comparable", "symptom_weights"),
    "format_relaxation": ("analyses.comparable", "format_relaxation"),
    "relaxation_summary": ("analyses.comparable", "relaxation_summary"),
    "matching_rule": ("analyses.comparable", "matching_rule"),
    # several cohorts (issue 20, part 1)
    "pool_cohorts": ("data.cohort_set", "pool_cohorts"),
    "CohortSet": ("data.cohort_set", "CohortSet"),
    "two_demo_cohorts": ("synthetic.two_cohorts", "two_demo_cohorts"),
    "cohort_names": ("analyses.cohort_comparison", "cohort_names"),
    "split_by_cohort": ("analyses.cohort_comparison", "split_by_cohort"),
    "recorded_cohorts_only": ("analyses.recorded", "recorded_cohorts_only"),
    "cohort_table1": ("analyses.cohort_comparison", "cohort_table1"),
    "format_cohort_table1": ("analyses.cohort_comparison", "format_cohort_table1"),
    "cohort_response_rates": ("analyses.cohort_comparison", "cohort_response_rates"),
    "format_cohort_response_rates": ("analyses.cohort_comparison", "format_cohort_response_rates"),
    "cohort_time_to_response": ("analyses.cohort_comparison", "cohort_time_to_response"),
    "cohort_time_to_response_tests": ("analyses.cohort_comparison", "cohort_time_to_response_tests"),
    "cohort_symptom_table": ("analyses.cohort_comparison", "cohort_symptom_table"),
    "format_cohort_symptom_table": ("analyses.cohort_comparison", "format_cohort_symptom_table"),
    # analyses.literature
    "published_series": ("analyses.literature", "published_series"),
    "literature_comparison": ("analyses.literature", "literature_comparison"),
    "format_literature": ("analyses.literature", "format_literature"),
    "literature_forest_plot": ("outputs.figures.literature", "literature_forest_plot"),
    "pooled_proportion": ("stats.meta_analysis", "pooled_proportion"),
    # analyses.publication
    "published_values": ("analyses.publication", "published_values"),
    "publication_comparison": ("analyses.publication", "publication_comparison"),
    "agreement_summary": ("analyses.publication", "agreement_summary"),
    "format_publication_sections": ("analyses.publication", "format_publication_sections"),
    # outputs.report
    "overview_report": ("outputs.report", "overview_report"),
    "patient_report": ("outputs.report", "patient_report"),
    "candidate_report": ("outputs.report", "candidate_report"),
    # outputs.snippets
    "output_code": ("outputs.snippets", "output_code"),
    # outputs.saved_analysis
    "SavedAnalysis": ("outputs.saved_analysis", "SavedAnalysis"),
    "AnalysisFileError": ("outputs.saved_analysis", "AnalysisFileError"),
    "cohort_checksum": ("outputs.saved_analysis", "cohort_checksum"),
    "analysis_json": ("outputs.saved_analysis", "analysis_json"),
    "read_analysis": ("outputs.saved_analysis", "read_analysis"),
    "analysis_filters": ("outputs.saved_analysis", "analysis_filters"),
    "data_differ": ("outputs.saved_analysis", "data_differ"),
    # outputs.word
    "table_docx": ("outputs.word", "table_docx"),
    "table_notes": ("outputs.word", "table_notes"),
    "report_docx": ("outputs.word", "report_docx"),
    "overview_report_docx": ("outputs.report", "overview_report_docx"),
    # outputs.figure_files
    "figure_file": ("outputs.figure_files", "figure_file"),
    "figure_export_unavailable": ("outputs.figure_files", "export_unavailable"),
    "FigureExportError": ("outputs.figure_files", "FigureExportError"),
    # outputs.exports
    "neutralise_formulas": ("outputs.exports", "neutralise_formulas"),
    "csv_bytes": ("outputs.exports", "csv_bytes"),
    "excel_bytes": ("outputs.exports", "excel_bytes"),
    # outputs.figures.biology
    "paired_plot": ("outputs.figures.biology", "paired_plot"),
    # outputs.figures.candidate
    "comparable_response_rates": ("outputs.figures.candidate", "comparable_response_rates"),
    "symptom_evolution": ("outputs.figures.candidate", "symptom_evolution"),
    # outputs.figures.dosing
    "regimen_timeline": ("outputs.figures.dosing", "regimen_timeline"),
    "response_around_changes": ("outputs.figures.dosing", "response_around_changes"),
    # outputs.figures.follow_up
    "sankey": ("outputs.figures.follow_up", "sankey"),
    "swimmer_plot": ("outputs.figures.follow_up", "swimmer_plot"),
    "duration_box": ("outputs.figures.follow_up", "duration_box"),
    # outputs.figures.patient
    "score_trajectory_figure": ("outputs.figures.patient", "score_trajectory_figure"),
    "symptom_heatmap_figure": ("outputs.figures.patient", "symptom_heatmap_figure"),
    "course_timeline_figure": ("outputs.figures.patient", "course_timeline_figure"),
    "patient_course_figure": ("outputs.figures.patient", "patient_course_figure"),
    "subgroup_response_figure": ("outputs.figures.patient", "subgroup_response_figure"),
    # outputs.figures.response
    "forest_plot": ("outputs.figures.response", "forest_plot"),
    "odds_ratio_forest_plot": ("outputs.figures.response", "odds_ratio_forest_plot"),
    "waterfall_plot": ("outputs.figures.response", "waterfall_plot"),
    # outputs.figures.safety
    "adverse_event_bars": ("outputs.figures.safety", "adverse_event_bars"),
    "adverse_event_timing_bars": ("outputs.figures.safety", "adverse_event_timing_bars"),
    # outputs.figures.symptoms
    "symptom_score_bars": ("outputs.figures.symptoms", "symptom_score_bars"),
    "symptom_heatmap": ("outputs.figures.symptoms", "symptom_heatmap"),
    "improvement_share_bars": ("outputs.figures.symptoms", "improvement_share_bars"),
    # outputs.figures.time_to_response
    "cumulative_incidence_plot": ("outputs.figures.time_to_response", "cumulative_incidence_plot"),
    "response_time_histogram": ("outputs.figures.time_to_response", "response_time_histogram"),
    "first_improvement_plot": ("outputs.figures.time_to_response", "first_improvement_plot"),
}
"""Public name -> (module under omalizumab_core, attribute)."""

__all__ = sorted(_API)


def __getattr__(name: str):
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'omalizumab_core' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"omalizumab_core.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
