"""Self-contained HTML reports: one file to e-mail, archive or print to PDF.

A report is a list of sections, each a heading and items: tables
(DataFrames), plotly figures, paragraphs (str) or quotations (:class:`Quote`).
Everything the report needs is inside the file: plotly.js is inlined once,
there is no web font, image or stylesheet link, so the file opens offline and
discloses nothing to a third party when opened.

Safety of user text
    Every piece of text from the data (patient ids, symptom names, centres)
    is HTML-escaped, and table cells that a spreadsheet would run as a
    formula when the table is copied out ("=", "+", "-", "@") are
    neutralised as in the CSV and Excel exports (:mod:`exports`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.formatting import selection_line
from omalizumab_core.outputs.exports import neutralise_formulas

REFERENCE = "Lemal R, et al. Omalizumab therapy for mast cell-mediator symptoms in patients with ISM, CM, MMAS, and MCAS. J Allergy Clin Immunol Pract 2019;7:2387-95."
FIGURE_WIDTH = 680  # px: fits an A4 page with 15 mm margins when printed
MAX_REPORT_ROWS = 100


@dataclass(frozen=True)
class Code:
    """A script shown verbatim (monospace, whitespace kept) under its title: the report's code appendix."""

    title: str
    text: str


@dataclass(frozen=True)
class Quote:
    """A quotation with its source, rendered as a block quote."""

    text: str
    source: str = ""


_CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2933;
       max-width: 960px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #cbd2d9; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #cbd2d9; padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f0f4f8; }
tbody th { background: #f8fafc; font-weight: 600; }
table.meta { font-size: .85rem; }
table.meta th { background: #f0f4f8; width: 11rem; }
pre.code { background: #f5f7fa; border: 1px solid #cbd2d9; padding: .6rem; font-size: .8rem; white-space: pre-wrap; }
blockquote { margin: .8rem 0; padding: .6rem 1rem; border-left: 4px solid #2166ac; background: #eef4fb; }
blockquote footer { margin-top: .4rem; font-size: .8rem; color: #52606d; }
.figure { margin: .8rem 0 1.2rem; }
.note { font-size: .8rem; color: #52606d; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 8pt; }
  thead { display: table-header-group; }
  tr, .figure, blockquote { break-inside: avoid; page-break-inside: avoid; }
  .modebar-container { display: none !important; }
}
"""


def software_version() -> str:
    """The package version: ``omalizumab_core.__version__``, else installed metadata, else "dev"."""
    try:
        from omalizumab_core import __version__
        return str(__version__)
    except ImportError:
        pass
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("omalizumab_core")
    except (ImportError, PackageNotFoundError):
        return "dev"


def _escape(text) -> str:
    return html.escape(str(text), quote=True)


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text cells, headers and index labels that cannot run as formulas."""
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" – ".join(str(p) for p in column if str(p)) for column in out.columns]
    out = neutralise_formulas(out)
    if not isinstance(out.index, pd.RangeIndex):
        labels = neutralise_formulas(out.index.to_frame(index=False).astype("object"))
        names = list(out.index.names)
        if isinstance(out.index, pd.MultiIndex):
            out.index = pd.MultiIndex.from_frame(labels, names=names)
        else:
            out.index = pd.Index(labels.iloc[:, 0], name=names[0])
    return out


def table_html(frame: pd.DataFrame) -> str:
    """A DataFrame as an escaped HTML table (the index shown unless it is the default)."""
    shown = _neutralised(frame)
    show_index = not isinstance(frame.index, pd.RangeIndex)
    return shown.to_html(
        escape=True,
        index=show_index,
        na_rep="–",
        border=0,
        classes="data",
        float_format=lambda x: f"{x:.3g}",
    )


def _figure_html(figure: go.Figure, number: int) -> str:
    shown = go.Figure(figure)
    shown.update_layout(width=FIGURE_WIDTH)
    # Long category labels ("Anaphylaxis", "Flushing") get the margin they need instead of being cut at the edge.
    shown.update_xaxes(automargin=True)
    shown.update_yaxes(automargin=True)
    height = shown.layout.height or 420
    div = shown.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=f"figure-{number}",
        default_width=f"{FIGURE_WIDTH}px",
        default_height=f"{height}px",
        config={"displaylogo": False, "displayModeBar": False, "responsive": False},
    )
    return f'<div class="figure">{div}</div>'


def _plotly_script() -> str:
    from plotly.offline import get_plotlyjs

    # "</script" inside the bundle would end the element early; it has none
    # today, and the escape keeps it so.
    return "<script>" + get_plotlyjs().replace("</script", "<\\/script") + "</script>"


def _item_html(item, figures: list[int]) -> str:
    if isinstance(item, pd.DataFrame):
        return table_html(item)
    if isinstance(item, go.Figure):
        figures.append(len(figures) + 1)
        return _figure_html(item, figures[-1])
    if isinstance(item, Code):
        return f"<h3>{_escape(item.title)}</h3><pre class=\"code\"><code>{_escape(item.text)}</code></pre>"
    if isinstance(item, Quote):
        source = f"<footer>{_escape(item.source)}</footer>" if item.source else ""
        return f"<blockquote><p>{_escape(item.text)}</p>{source}</blockquote>"
    if isinstance(item, str):
        return f"<p>{_escape(item)}</p>"
    raise TypeError(f"a report item is a DataFrame, a plotly Figure, a Quote or text, not {type(item).__name__}")


def build_report(
    *,
    title: str,
    sections: list[tuple[str, list]],
    filters: dict[str, str],
    source: str,
    generated: datetime | None = None,
    version: str | None = None,
) -> str:
    """One self-contained HTML document.

    Parameters
    ----------
    title : str
    sections : list of (heading, items)
        Items are DataFrames (escaped tables), plotly Figures, :class:`Quote`
        or str (escaped paragraphs).
    filters : dict of str to str
        The selection in words ({label: levels}); empty means all patients.
    source : str
        Where the data came from (``Cohort.source``).
    generated : datetime, optional
        Time stamp printed in the report (default: now).
    version : str, optional
        Software version printed (default: :func:`software_version`).

    Returns
    -------
    str
        ``<!DOCTYPE html>`` document with inline CSS and, when a figure is
        present, plotly.js inlined once in the head. No network reference.

    Examples
    --------
    >>> import pandas as pd
    >>> page = build_report(title="T", sections=[("S", [pd.DataFrame({"a": ["<b>"]})])], filters={}, source="demo")
    >>> "&lt;b&gt;" in page and "<b>" not in page
    True
    """
    generated = generated or datetime.now().astimezone()
    version = version or software_version()
    figures: list[int] = []
    body = []
    for heading, items in sections:
        parts = [_item_html(item, figures) for item in items]
        body.append(f"<section><h2>{_escape(heading)}</h2>\n" + "\n".join(parts) + "</section>")
    line = selection_line(filters)
    meta_rows = [("Data source", source), ("Filters", line.removeprefix("Filters: "))]
    meta_rows += [
        ("Generated", generated.strftime("%Y-%m-%d %H:%M %Z").strip()),
        ("Software", f"omalizumab_core {version}"),
        ("Method", REFERENCE),
    ]
    meta = "".join(f"<tr><th>{_escape(k)}</th><td>{_escape(v)}</td></tr>" for k, v in meta_rows)
    head_script = _plotly_script() if figures else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_escape(title)}</title>\n<style>{_CSS}</style>\n{head_script}\n</head>\n<body>\n"
        f"<header><h1>{_escape(title)}</h1>\n<table class=\"meta\">{meta}</table></header>\n<main>\n"
        + "\n".join(body)
        + f"\n</main>\n<footer><p class=\"note\">{_escape(line)}. Data source: {_escape(source)}.</p>\n<p class=\"note\">Generated by the omalizumab outcomes dashboard. "
        "Observed data of an observational cohort, summarised by the symptom-score method of the reference study.</p></footer>\n"
        "</body>\n</html>\n"
    )


def _synthetic_note(scored) -> list[str]:
    return ["Synthetic data, not real patients."] if scored.cohort.synthetic else []


def overview_report(scored, *, filters: dict[str, str], source: str, generated: datetime | None = None,
                    code: list[Code] | None = None) -> str:
    """The Overview report: headline figures, Table 1 and Table 2 of the selected patients.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> page = overview_report(demo_scored(), filters={}, source="demo")
    >>> "Table 2" in page
    True
    """
    sections = overview_sections(scored)
    if code:
        sections.append(("Appendix: the code of each table", [APPENDIX_NOTE, *code]))
    return build_report(title=OVERVIEW_TITLE, sections=sections, filters=filters, source=source, generated=generated)


APPENDIX_NOTE = ("Each script re-creates the table above from the original file with the same filters and response rule, "
                 "using only the public API of omalizumab_core (see its README).")
OVERVIEW_CODE = (("Headline figures", "headline_figures"), ("Table 1", "table1"), ("Table 2", "table2_counts"))
"""The outputs of the Overview report whose code its appendix carries: (title, name of :func:`output_code`)."""


def overview_code(**where) -> list[Code]:
    """The Overview report's code appendix; ``where``: ``source``, ``filters`` (a FilterSpec), ``worsening_rule``."""
    from omalizumab_core.outputs.snippets import output_code

    return [Code(title, output_code(name, **where)) for title, name in OVERVIEW_CODE]


OVERVIEW_TITLE = "Omalizumab in mast cell disorders: cohort overview"


def beyond_score_section(scored) -> list[tuple[str, list]]:
    """The section on anaphylaxis and questionnaires, in sentences; none without those tables.

    Sentences only: the report's code appendix re-creates each of its
    tables, and the full tables are on the Anaphylaxis and Instruments pages.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> [title for title, _ in beyond_score_section(demo_scored())]
    ['Anaphylaxis and questionnaires']
    """
    from omalizumab_core.analyses.beyond_score import beyond_score_lines

    lines = beyond_score_lines(scored)
    return [("Anaphylaxis and questionnaires", lines)] if lines else []


def overview_sections(scored) -> list[tuple[str, list]]:
    """The Overview report's sections (headline figures, Table 1, Table 2, then anaphylaxis and questionnaires when recorded)."""
    from omalizumab_core.analyses.overview import format_headline, format_table1, headline_figures, table1
    from omalizumab_core.engine.response_table import format_table2, table2_counts

    n = len(scored.outcomes)
    return [
        ("Cohort", [f"{n} patient{'s' if n != 1 else ''} in the selection.", *_synthetic_note(scored)]),
        ("Headline figures", [format_headline(headline_figures(scored))]),
        ("Table 1. Patients' characteristics", [format_table1(table1(scored))]),
        (
            "Table 2. Best response and response at last follow-up",
            [
                format_table2(table2_counts(scored.outcomes)),
                "CR: complete response; MR: major response (decrease of the symptom score > 50 %); "
                "PR: partial response (10–50 %). Responses were assigned at time of best response.",
            ],
        ),
        *beyond_score_section(scored),
    ]


def overview_report_docx(scored, *, filters: dict[str, str], source: str, generated: datetime | None = None,
                         code: list[Code] | None = None) -> bytes:
    """The Overview report as a Word document (the same sections as :func:`overview_report`).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> overview_report_docx(demo_scored(), filters={}, source="demo")[:2]
    b'PK'
    """
    from omalizumab_core.outputs.word import report_docx

    sections = overview_sections(scored)
    if code:
        sections.append(("Appendix: the code of each table", [APPENDIX_NOTE, *code]))
    return report_docx(title=OVERVIEW_TITLE, sections=sections, filters=filters, source=source, generated=generated)


def patient_report(scored, patient_id, *, filters: dict[str, str], source: str, generated: datetime | None = None, course=None) -> str:
    """The Patient report: one patient's whole course, as on the Patient page.

    ``course`` (from :func:`patient_course.patient_course`) avoids recomputing
    what the page already shows.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> page = patient_report(demo_scored(), "DEMO-003", filters={}, source="demo")
    >>> "DEMO-003" in page and "Symptom score" in page
    True
    """
    from omalizumab_core.analyses import patient_course as pc
    from omalizumab_core.analyses.beyond_score import patient_beyond_score_lines
    from omalizumab_core.outputs.figures import patient as figures

    c = course or pc.patient_course(scored, patient_id)
    end = None if c.header["still_treated"] else c.header["treatment_end_month"]
    last = c.header["months_on_treatment"]
    sections = [
        (f"Patient {c.header['patient_id']}", [pc.format_header(c.header), *_synthetic_note(scored)]),
        (
            "Course under omalizumab: symptom score, doses, adverse events and laboratory values",
            [
                figures.patient_course_figure(c.trajectory, c.header["baseline_symptoms"], c.doses, c.adverse_events, c.labs, end_month=end, last_month=last),
                pc.format_trajectory(c.trajectory),
                f"Data gaps (more than {pc.GAP_MONTHS} months between consecutive assessments):",
                *pc.describe_gaps(c.gaps),
            ],
        ),
        ("Symptoms", [figures.symptom_heatmap_figure(c.grid), pc.format_symptom_grid(c.grid)]),
        (
            "Doses, adverse events and laboratory values",
            [pc.format_events(c.doses, c.adverse_events, c.labs)],
        ),
        ("Compared with the subgroup", [figures.subgroup_response_figure(c.comparison.counts, c.comparison.subgroup), pc.format_subgroup_timing(c.comparison)]),
    ]
    lines = patient_beyond_score_lines(scored, c.header["patient_id"])
    if lines:
        sections.append(("Anaphylaxis and questionnaires", lines))
    return build_report(title=f"Omalizumab course of patient {c.header['patient_id']}", sections=sections, filters=filters, source=source, generated=generated)


def candidate_report(
    scored,
    candidate,
    *,
    k: int | None = None,
    filters: dict[str, str],
    source: str,
    generated: datetime | None = None,
    assessment=None,
) -> str:
    """The MDT report for one candidate: the answer first, then how it was found, symptoms, safety, the study's scheme.

    ``assessment`` (from :func:`candidate.assess_candidate`) avoids
    recomputing what the page already shows. The comparable patients are
    described (subgroup, KIT, sex, age, shared symptoms, similarity) without
    their identifiers: the report may leave the team, the cohort's ids stay
    on the dashboard.

    Examples
    --------
    >>> from omalizumab_core.analyses.candidate import Candidate
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> page = candidate_report(demo_scored(), Candidate("ISM", "positive", symptoms=("flushing",)), filters={}, source="demo")
    >>> "not a prediction" in page and "DEMO-0" not in page
    True
    """
    from omalizumab_core.analyses import candidate as mdt
    from omalizumab_core.analyses import candidate_signals as signals
    from omalizumab_core.analyses import comparable as match
    from omalizumab_core.analyses.beyond_score import comparable_beyond_score_lines
    from omalizumab_core.outputs.figures.candidate import comparable_response_rates, symptom_evolution

    a = assessment or mdt.assess_candidate(scored, candidate, k=k)
    generated = generated or datetime.now().astimezone()
    headline = pd.DataFrame([(label, value, detail) for label, value, detail in mdt.headline(len(a.comparable), a.outcomes)],
                            columns=["Comparable patients", "Value", "Detail"])
    answer = [headline, a.statement] if a.outcomes is not None else [headline, a.reason, a.statement]
    answer += [match.relaxation_summary(a.found), "Sensitivity: the same figures for the whole subgroup and the whole selection.",
               mdt.format_sensitivity(a.sensitivity, a.candidate)]
    comparable = match.format_comparable(a.comparable).drop(columns=["Patient"])  # no other patient's identifier
    shown_rows = [match.matching_rule(a.k), match.format_relaxation(a.relaxation, a.k)]
    if len(a.found.symptom_weights):
        weights = a.found.symptom_weights.rename(columns={"symptom": "Candidate's symptom", "patients": "Patients with it at baseline", "weight": "Weight"})
        shown_rows.append(weights.assign(Weight=weights["Weight"].map(lambda w: f"{w:.2f}")))
    if len(comparable) > MAX_REPORT_ROWS:
        shown_rows.append(f"The {MAX_REPORT_ROWS} closest of {len(comparable)} comparable patients are listed.")
    shown_rows.append(comparable.head(MAX_REPORT_ROWS) if len(comparable) else "No comparable patient.")
    outcome_items = [a.reason] if a.outcomes is None else [
        mdt.format_candidate_outcomes(a.outcomes),
        comparable_response_rates(a.outcomes.rates, a.outcomes.n),
    ]
    symptom_items = [
        "Among all patients of the selection who had the symptom at baseline. Time points: the symptom's recorded scores "
        "on treatment (months after the first injection, up to the end of treatment). Improved: lowest score below 1; "
        "disappeared: a score of 0; worsened: a score of 1.5 at any assessment; median month of first improvement: "
        "among the improved patients, the first month with a score below 1."
    ]
    if len(a.symptoms):
        symptom_items.append(signals.format_symptom_outcomes(a.symptoms))
        if (a.symptoms["patients"] > 0).any():
            symptom_items.append(symptom_evolution(a.symptoms))
    else:
        symptom_items.append("No symptom was entered for the candidate.")
    described = [
        mdt.candidate_summary(a.candidate),
        mdt.describe_candidate(a.candidate),
        f"Prepared on {generated.strftime('%Y-%m-%d')}. The candidate is described for this meeting only; they are not part of the cohort.",
        *_synthetic_note(scored),
    ]
    beyond = comparable_beyond_score_lines(scored, a.comparable["patient_id"])
    sections = [
        ("Candidate", described),
        ("What happened to comparable patients", answer),
        ("How the comparable patients were chosen", shown_rows),
        ("Outcomes of the comparable patients", outcome_items),
        *([("Anaphylaxis and questionnaires of the comparable patients", beyond)] if beyond else []),
        ("Evolution of the candidate's symptoms in the cohort", symptom_items),
        ("Safety signals among the comparable patients", [signals.format_safety(a.safety)]),
        ("Administration scheme of the reference study", [Quote(mdt.STUDY_SCHEME, mdt.STUDY_SCHEME_SOURCE)]),
    ]
    return build_report(title="MDT meeting: omalizumab candidate", sections=sections, filters=filters, source=source, generated=generated)
