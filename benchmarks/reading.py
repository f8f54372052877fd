"""Reading benchmark (issues 13 and 14): workbooks against python-calamine's bare read, hostile files against budgets.

Run from the repository root::

    python -m benchmarks.reading                       # everything, results in benchmarks/results/reading.json
    python -m benchmarks.reading --data-dir /tmp/bench # keep the generated files for the next run
    python -m benchmarks.reading --only hostile        # one group: workbooks, hostile, parquet

Rows
    *workbook 3,000 patients*: the workbook of ``python -m omalizumab_core synth
    --patients 3000 --seed 2 --format xlsx``; *workbook full symptoms sheet*: a
    workbook whose symptoms sheet fills Excel's 1,048,576 rows (8,192 patients).
    Each is timed twice in one child process: python-calamine's bare read of
    the same sheets (``to_python`` of each table sheet), then
    ``load_cohort`` + ``score_cohort`` (read, budget scan, validation,
    scoring). ``ratio`` = ours / bare, best of ``--repeats`` runs of each,
    interleaved, in the same run: target <= 2.

    *hostile*: each hostile-size fixture of the bad-input catalogue, and the
    two files of issue 14 (a 0.2 MB zip whose labs.csv is 199 MB of blank
    lines; a 0.5 MB workbook declaring 8 million tiny rows), uploaded through
    ``load_upload`` in a fresh child: accepted or refused, seconds and peak
    resident memory. Target: every one within 60 s and 1.5 GB.

    *parquet 100,000 patients*: a legitimate cohort still loads (and its peak).

Peak memory is the child's peak resident size (``VmHWM``; it includes the
interpreter and its imports).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "reading.json"
TARGET_RATIO = 2.0
TARGET_SECONDS = 60.0
TARGET_PEAK_MB = 1536.0
TABLE_SHEETS = ("patients", "symptoms", "doses", "adverse_events", "labs")


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike getrusage's, which a child inherits)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- generated files ---------------------------------------------------------------


def synth_workbook(data: Path) -> Path:
    folder = data / "synth3000"
    path = folder / "cohort.xlsx"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "omalizumab_core", "synth", "--patients", "3000", "--seed", "2", "--format", "xlsx", "--out", str(folder)],
            cwd=ROOT, check=True, capture_output=True,
        )
    return path


def _cell(ref: str, value) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def _sheet_xml(handle, rows) -> None:
    handle.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    buffer = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{'ABCDEFGHIJ'[i]}{number}", v) for i, v in enumerate(row))
        buffer.append(f'<row r="{number}">{cells}</row>')
        if len(buffer) >= 20_000:
            handle.write("".join(buffer).encode())
            buffer = []
    handle.write(("".join(buffer) + "</sheetData></worksheet>").encode())


def _write_workbook(path: Path, sheets: dict) -> None:
    """A minimal valid .xlsx (what Excel needs to open it), sheets written as streamed XML."""
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(names)))
            + "</Types>"))
        book.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        book.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
            + "</sheets></workbook>"))
        book.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))
            + "</Relationships>"))
        for i, name in enumerate(names):
            with book.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as handle:
                _sheet_xml(handle, sheets[name])


def full_sheet_workbook(data: Path) -> Path:
    """8,192 patients, 8 symptoms each at months 0-15: 1,048,575 symptom rows + header = 1,048,576."""
    path = data / "full_symptoms_sheet.xlsx"
    if path.exists():
        return path
    rng = random.Random(13)
    symptoms = ["flushing", "pruritus", "diarrhea", "fatigue", "headache", "bone pain", "abdominal pain", "urticaria"]
    scores = [1.5, 1, 0.75, 0.5, 0.25, 0]
    patients = [["patient_id", "sex", "diagnosis", "age_at_treatment"]]
    rows = [["patient_id", "symptom", "month", "score"]]
    for p in range(1, 8193):
        pid = f"P{p:05d}"
        patients.append([pid, rng.choice("FM"), rng.choice(["ISM", "CM", "MCAS", "SSM"]), rng.randint(18, 80)])
        for s in symptoms:
            for month in range(16):
                rows.append([pid, s, month, 1 if month == 0 else rng.choice(scores)])
    del rows[1_048_576:]
    _write_workbook(path, {"patients": patients, "symptoms": rows})
    return path


# --- hostile files -------------------------------------------------------------------


def hostile_files(data: Path) -> dict:
    """Name -> path of a pickle-free file list: each written as <name>/<file> in ``data``."""
    from tests import bad_inputs

    folder = data / "hostile"
    cases = {}
    names = [item.name for item in bad_inputs.CATALOGUE if item.name in HOSTILE_FIXTURES]
    for name in names:
        cases[name] = folder / name
        if not cases[name].exists():
            cases[name].mkdir(parents=True)
            for file_name, content in bad_inputs.BY_NAME[name].files():
                (cases[name] / file_name).write_bytes(content)
    cases["issue14_zip_199_mb_blank_lines"] = _issue_zip(folder)
    cases["issue14_xlsx_8_million_rows"] = _issue_xlsx(folder)
    return cases


HOSTILE_FIXTURES = {
    "zip_member_of_blank_lines", "xlsx_rows_beyond_excel_last_row", "xlsx_one_cell_at_the_last_excel_cell",
    "xlsx_wide_sparse_sheet", "xlsx_entities_declared", "parquet_declaring_25_million_rows",
    "parquet_dictionary_decoding_to_a_gigabyte", "zip_naming_one_table_in_forty_files",
    "zip_listing_twenty_thousand_files", "patient_id_of_5000_characters", "one_million_character_cell",
}


def _issue_zip(folder: Path) -> Path:
    target = folder / "issue14_zip_199_mb_blank_lines"
    if not target.exists():
        from tests.bad_inputs import VALID

        target.mkdir(parents=True)
        with zipfile.ZipFile(target / "cohort.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("patients.csv", VALID["patients"])
            archive.writestr("symptoms.csv", VALID["symptoms"])
            with archive.open("labs.csv", "w", force_zip64=True) as handle:
                handle.write(VALID["labs"].encode())
                for _ in range(199):
                    handle.write(b"\n" * (1024 * 1024))
    return target


def _issue_xlsx(folder: Path) -> Path:
    target = folder / "issue14_xlsx_8_million_rows"
    if not target.exists():
        target.mkdir(parents=True)
        from tests.bad_inputs import sheet_rows

        def symptoms():
            yield from sheet_rows("symptoms")
            for _ in range(8_000_000):
                yield [1]

        _write_workbook(target / "cohort.xlsx", {"patients": sheet_rows("patients"), "symptoms": symptoms()})
    return target


# --- children ------------------------------------------------------------------------


def child_workbook(path: Path, repeats: int) -> dict:
    from python_calamine import CalamineWorkbook

    from omalizumab_core.data.loading import load_cohort
    from omalizumab_core.engine.scoring import score_cohort

    def bare() -> float:
        started = time.perf_counter()
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            if name in TABLE_SHEETS:
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        book.close()
        return time.perf_counter() - started

    def ours() -> tuple[float, int]:
        started = time.perf_counter()
        cohort = load_cohort(path, synthetic=True)
        score_cohort(cohort)
        return time.perf_counter() - started, len(cohort.symptoms)

    bare_times, our_times = [], []
    rows = 0
    for _ in range(repeats):
        bare_times.append(bare())
        seconds, rows = ours()
        our_times.append(seconds)
    return {
        "file_mb": round(path.stat().st_size / 2**20, 2),
        "symptom_rows": rows,
        "bare_calamine_seconds": round(min(bare_times), 2),
        "load_validate_score_seconds": round(min(our_times), 2),
        "ratio": round(min(our_times) / min(bare_times), 2),
        "runs": {"bare": [round(t, 2) for t in bare_times], "ours": [round(t, 2) for t in our_times]},
        "peak_rss_mb": round(peak_mb(), 1),
    }


def child_upload(folder: Path) -> dict:
    from omalizumab_core.data.loading import load_upload
    from omalizumab_core.data.problems import CohortError

    files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]
    size = sum(len(c) for _, c in files)
    started = time.perf_counter()
    try:
        cohort = load_upload(files)
        outcome, detail = "accepted", f"{cohort.n_patients} patients"
    except CohortError as error:
        outcome = "refused"
        first = error.errors[0]
        detail = f"{first.where}: {first.message[:160]}"
    return {
        "upload_mb": round(size / 2**20, 3),
        "outcome": outcome,
        "detail": detail,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak_mb(), 1),
    }


def child_parquet(folder: Path) -> dict:
    from omalizumab_core.data.loading import load_cohort

    started = time.perf_counter()
    cohort = load_cohort(folder, synthetic=True)
    return {"patients": cohort.n_patients, "symptom_rows": len(cohort.symptoms),
            "seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak_mb(), 1)}


def run_child(kind: str, path: Path, repeats: int, timeout: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.reading", "--child", kind, "--path", str(path), "--repeats", str(repeats)]
    started = time.perf_counter()
    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "seconds": round(time.perf_counter() - started, 1)}
    for line in run.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"outcome": "crashed", "returncode": run.returncode, "stderr": run.stderr[-500:]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reading", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="keep generated files here (default: a temporary folder)")
    parser.add_argument("--parquet-dir", help="a 100,000-patient parquet folder (default: generated)")
    parser.add_argument("--only", choices=["workbooks", "hostile", "parquet"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child = {"workbook": lambda: child_workbook(Path(args.path), args.repeats), "upload": lambda: child_upload(Path(args.path)),
                 "parquet": lambda: child_parquet(Path(args.path))}[args.child]
        print("RESULT " + json.dumps(child()))
        return 0

    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="reading-bench-"))
    data.mkdir(parents=True, exist_ok=True)
    report = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(), "platform": platform.platform()},
              "targets": {"ratio": TARGET_RATIO, "seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_PEAK_MB}}
    if args.only in (None, "workbooks"):
        report["workbooks"] = {
            "synth_3000_patients": run_child("workbook", synth_workbook(data), args.repeats, 1800),
            "full_symptoms_sheet_1048576_rows": run_child("workbook", full_sheet_workbook(data), args.repeats, 1800),
        }
        print(json.dumps(report["workbooks"], indent=1), flush=True)
    if args.only in (None, "hostile"):
        report["hostile"] = {}
        for name, folder in hostile_files(data).items():
            result = run_child("upload", folder, 1, 300)
            result["within_targets"] = result.get("seconds", 1e9) <= TARGET_SECONDS and result.get("peak_rss_mb", 1e9) <= TARGET_PEAK_MB
            report["hostile"][name] = result
            print(name, result, flush=True)
    if args.only in (None, "parquet"):
        folder = Path(args.parquet_dir) if args.parquet_dir else data / "parquet100k"
        if not folder.exists():
            subprocess.run([sys.executable, "-m", "omalizumab_core", "synth", "--patients", "100000", "--seed", "3",
                            "--format", "parquet", "--out", str(folder)], cwd=ROOT, check=True, capture_output=True)
        report["parquet_100000_patients"] = run_child("parquet", folder, 1, 900)
        print(report["parquet_100000_patients"], flush=True)
    out = Path(args.out)
    previous = json.loads(out.read_text()) if out.exists() and args.only else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**previous, **report}, indent=1) + "\n")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
