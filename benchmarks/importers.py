"""Benchmark: export a synthetic registry to every form and load it back (issue 15).

Run from the repository root::

    python -m benchmarks.importers --patients 2000

For each form (redcap, adam, csv, parquet, xlsx) prints the export and the
re-import time and whether ``summary --json`` is identical. Target: each
export and each import of 2,000 patients (~260,000 symptom rows) under
:data:`TARGET_SECONDS` on one core. Measured 2026-12-06 on the shared 2-core
build machine: redcap 5.8 s / 8.3 s, adam 5.5 s / 3.2 s, csv 4.0 s / 0.9 s
(xlsx, written by openpyxl, is far slower and is not a target here).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    from omalizumab_core.cli.main import summary_json
    from omalizumab_core.data.loading import load_cohort
    from omalizumab_core.outputs.cohort_files import export_cohort
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--forms", default="redcap,adam,csv,parquet")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_cohort(synthesize(args.patients, 1), root / "long", fmt="parquet")
        cohort = load_cohort(root / "long")
        expected = summary_json(cohort)
        for form in args.forms.split(","):
            out = root / {"redcap": "redcap.csv", "xlsx": "cohort.xlsx"}.get(form, form)
            start = time.perf_counter()
            export_cohort(cohort, form, out)
            exported = time.perf_counter() - start
            start = time.perf_counter()
            again = load_cohort(out)
            imported = time.perf_counter() - start
            results.append({"form": form, "patients": cohort.n_patients, "symptom_rows": len(cohort.symptoms), "export_s": round(exported, 2),
                            "import_s": round(imported, 2), "identical": summary_json(again) == expected,
                            "within_target": max(exported, imported) <= TARGET_SECONDS})
    print(json.dumps(results, indent=2))
    return 0 if all(r["identical"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
