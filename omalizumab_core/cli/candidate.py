"""Command line: ``python -m omalizumab_core candidate PATH --diagnosis ISM --kit positive ... [--json]``.

For MDT preparation: the comparable patients of a candidate, the relaxation
steps taken, the headline rates with exact 95 % CIs, the sensitivity rows,
the candidate's symptoms in the cohort and the safety signals. ``--json``
prints one object whose keys are a documented contract (README.md, "MDT
candidate from the command line"). Bad values exit with status 1 and a
message naming the option and the accepted values (handled by
:func:`cli.main`).
"""

from __future__ import annotations

import difflib
import json
import math
import sys

from omalizumab_core.analyses.candidate import EXTRA_CHARACTERISTICS, TRYPTASE_RANGE
from omalizumab_core.data.codes import DIAGNOSES, KIT_STATUSES, SEXES

# Subgroup names a doctor may type for MCAS: MMAS is MCAS with KIT D816V
# positive, idiopathic MCAS is MCAS without it.
_DIAGNOSIS_ALIASES = {"MMAS": ("MCAS", "positive"), "IDIOPATHIC": ("MCAS", None), "IDIOPATHIC_MCAS": ("MCAS", None)}


def add_candidate_command(subparsers) -> None:
    """Register the ``candidate`` command on the CLI's sub-command parsers."""
    from omalizumab_core.analyses.comparable import DEFAULT_K

    p = subparsers.add_parser("candidate", help="what happened to cohort patients comparable to an MDT candidate")
    p.add_argument("path", help="an .xlsx or .zip file, a folder of <table>.csv or .parquet files, or 'demo'")
    p.add_argument("--diagnosis", required=True, help=f"one of {', '.join(DIAGNOSES)}, or MMAS / idiopathic (MCAS with / without KIT D816V)")
    p.add_argument("--kit", default=None, help=f"KIT D816V status: {', '.join(KIT_STATUSES)} (default not_evaluated)")
    p.add_argument("--age", default=None, help="age in years (0 to 120)")
    p.add_argument("--sex", default=None, help=f"one of {', '.join(SEXES)}")
    p.add_argument("--symptoms", nargs="*", default=[], metavar="SYMPTOM", help="baseline symptoms (vocabulary or cohort names; quote names with spaces)")
    p.add_argument("--extra", nargs="*", default=[], metavar="NAME=VALUE",
                   help=f"extra characteristics to match on: {', '.join(EXTRA_CHARACTERISTICS)} (yes/no, or tryptase in ng/mL)")
    p.add_argument("--k", type=str, default=str(DEFAULT_K), help=f"number of comparable patients (default {DEFAULT_K})")
    p.add_argument("--json", action="store_true", help="print one JSON object (the documented contract)")
    p.add_argument("--compact", action="store_true", help="JSON on one line")
    p.set_defaults(run=run_candidate)


def _choice(option: str, value: str, allowed, *, fold=str.lower) -> str:
    by_folded = {fold(a): a for a in allowed}
    key = fold(value.strip().replace("-", "_").replace(" ", "_"))
    if key not in by_folded:
        raise ValueError(f"{option}: {value!r} is not accepted; use one of {', '.join(allowed)}")
    return by_folded[key]


def _number(option: str, value: str, low: float, high: float) -> float:
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not (low <= x <= high):
        raise ValueError(f"{option}: {value!r} is not a number between {low:,g} and {high:,g}")
    return x


def _extras(items: list[str]) -> tuple:
    out = []
    for item in items:
        name, _, value = item.partition("=")
        key = _choice("--extra", name, list(EXTRA_CHARACTERISTICS))
        label, kind = EXTRA_CHARACTERISTICS[key]
        if kind == "yes/no":
            word = _choice(f"--extra {key}", value, ["yes", "no"])
            out.append((key, word == "yes"))
        else:
            out.append((key, _number(f"--extra {key} ({label})", value, *TRYPTASE_RANGE)))
    return tuple(out)


def candidate_from_args(args):
    """The :class:`Candidate` described by the options, or ValueError naming the option to fix."""
    from omalizumab_core.analyses.candidate import Candidate

    typed = args.diagnosis.strip().upper().replace("-", "_").replace(" ", "_")
    kit = _choice("--kit", args.kit, KIT_STATUSES) if args.kit else None
    if typed.replace("_", "-") in DIAGNOSES or typed in DIAGNOSES:
        diagnosis = typed.replace("_", "-") if typed.replace("_", "-") in DIAGNOSES else typed
    elif typed == "OTHER":
        diagnosis = "other"
    elif typed in _DIAGNOSIS_ALIASES:
        diagnosis, implied = _DIAGNOSIS_ALIASES[typed]
        if implied == "positive" and kit not in (None, "positive"):
            raise ValueError(f"--diagnosis MMAS is MCAS with KIT D816V positive, but --kit is {kit}: use --diagnosis MCAS, or --kit positive")
        if implied is None and kit == "positive":
            raise ValueError("--diagnosis idiopathic is MCAS without KIT D816V, but --kit is positive: use --diagnosis MMAS")
        kit = kit or implied
    else:
        raise ValueError(f"--diagnosis: {args.diagnosis!r} is not accepted; use one of {', '.join(DIAGNOSES)}, MMAS or idiopathic")
    sex = _choice("--sex", args.sex, SEXES, fold=str.upper) if args.sex else None
    age = _number("--age", args.age, 0, 120) if args.age is not None else None
    return Candidate(diagnosis, kit or "not_evaluated", age, sex, tuple(args.symptoms), _extras(args.extra))


def _check_symptoms(candidate, cohort) -> None:
    """Refuse a symptom that can match nobody: neither in the vocabulary nor in the cohort (a typo, usually)."""
    from omalizumab_core.data.vocabulary import VOCABULARY, canonical_name

    known = set(VOCABULARY) | {canonical_name(s) for s in cohort.symptoms["symptom"].astype("object").dropna().unique()}
    for name in candidate.symptoms:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"--symptoms: {name!r} is neither a known symptom nor in this cohort, so no patient can share it.{hint}")


def _value(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    x = float(x)
    return int(x) if x.is_integer() else round(x, 6)


def _rate(count, n, rate, lower, upper) -> dict:
    return {"count": int(count), "n": int(n), "rate": _value(rate), "lower": _value(lower), "upper": _value(upper)}


def candidate_json(scored, assessment) -> dict:
    """The ``candidate --json`` contract (see README.md)."""
    from omalizumab_core.analyses.candidate import candidate_group, candidate_subgroup
    import pandas as pd

    from omalizumab_core.analyses.candidate_signals import SAFETY_DEFINITIONS

    a, c = assessment, assessment.candidate
    out = {
        "candidate": {
            "diagnosis": c.diagnosis, "kit_d816v": c.kit_d816v, "subgroup": candidate_subgroup(c), "group": candidate_group(c),
            "age": _value(c.age), "sex": c.sex, "symptoms": list(c.symptoms), "extras": {k: v for k, v in c.extras},
        },
        "cohort_n": a.cohort_n,
        "k": a.k,
        "comparable": [
            {"patient_id": str(r.patient_id), "similarity": round(float(r.similarity), 6), "step": int(r.step),
             "subgroup": str(r.subgroup), "n_shared": int(r.n_shared), "best_response": str(r.best_response)}
            for r in a.comparable.itertuples(index=False)
        ],
        "relaxation": [{"step": int(r.step), "rule": r.rule, "eligible": int(r.eligible), "added": int(r.added)} for r in a.relaxation.itertuples(index=False)],
        "n": int(len(a.comparable)),
        "tied_out": int(a.found.tied_out),
    }
    rows = {r.population: r for r in a.sensitivity.itertuples(index=False)}

    def figures(r) -> dict:
        return {
            "n": int(r.n),
            "overall_response": _rate(r.overall, r.n, r.overall_rate, r.overall_lower, r.overall_upper),
            "persistent_response": _rate(r.persistent, r.n, r.persistent_rate, r.persistent_lower, r.persistent_upper),
            "median_time_to_first_response": {"months": _value(r.median_months_to_first_response), "n": int(r.responders_with_time)},
        }

    out.update({k: v for k, v in figures(rows["comparable"]).items() if k != "n"})
    if a.outcomes is not None:
        s = a.outcomes.rates.set_index("measure").loc["sustained"]
        out["sustained_response"] = _rate(s["patients"], s["total"], s["proportion"], s["ci_low"], s["ci_high"])
    out["sensitivity"] = {"subgroup": figures(rows["subgroup"]), "cohort": figures(rows["cohort"])}
    out["symptoms"] = [
        {"symptom": r.symptom, "patients": int(r.patients), "improved": int(r.improved), "disappeared": int(r.disappeared),
         "worsened": int(r.worsened), "median_month_first_improvement": _value(r.median_month_first_improvement)}
        for r in a.symptoms.itertuples(index=False)
    ]
    out["safety"] = [
        {"signal": r.signal, "counts": SAFETY_DEFINITIONS[r.signal], "recorded": bool(r.recorded),
         "patients": None if not r.recorded else int(r.patients), "events": None if not r.recorded or pd.isna(r.events) else int(r.events),
         "total": int(r.total)}
        for r in a.safety.itertuples(index=False)
    ]
    out["statement"] = a.statement
    return out


def run_candidate(args) -> int:
    from omalizumab_core.analyses.candidate import assess_candidate, candidate_summary, format_sensitivity, headline
    from omalizumab_core.analyses.comparable import format_comparable, relaxation_summary
    from omalizumab_core.engine.scoring import score_cohort
    from omalizumab_core.sources import load_path

    candidate = candidate_from_args(args)
    k = int(_number("--k", args.k, 1, 10_000))
    if k != _number("--k", args.k, 1, 10_000):
        raise ValueError(f"--k: {args.k!r} is not a whole number of patients")
    cohort = load_path(args.path)
    _check_symptoms(candidate, cohort)
    scored = score_cohort(cohort)
    a = assess_candidate(scored, candidate, k=k)
    if args.json:
        json.dump(candidate_json(scored, a), sys.stdout, indent=None if args.compact else 2, ensure_ascii=False)
        print()
        return 0
    print(f"Candidate: {candidate_summary(candidate)}")
    if cohort.synthetic:
        print("Synthetic data, not real patients.")
    for label, value, detail in headline(len(a.comparable), a.outcomes):
        print(f"{label}: {value}" + (f" ({detail})" if detail else ""))
    print(a.statement)
    print(relaxation_summary(a.found))
    print()
    print(format_sensitivity(a.sensitivity, candidate).to_string(index=False))
    print()
    print(format_comparable(a.comparable).to_string(index=False))
    return 0
