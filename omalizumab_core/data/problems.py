"""Problems found in a cohort, located the way the user sees their file.

Every check of the loader and the validator reports a :class:`Problem`; a
blocking problem is an ``"error"``, anything else a ``"warning"``. Loading
raises one domain exception, :class:`CohortError`, carrying every error at once
so the user can fix the whole file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One located problem, written for a clinician.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors block loading; warnings are shown but the cohort loads.
    table : str or None
        Data-contract table (``"patients"``, ``"symptoms"``, ...), or None for
        a problem with the file as a whole.
    message : str
        What is wrong and how to fix it, in plain words.
    where : str or None
        The place in the user's file: ``"sheet 'symptoms', row 14"`` or
        ``"symptoms.csv, line 14"``. None when the problem is not about a row.
    column : str or None
        Column name as it appears in the file.
    value : str or None
        The offending value, as text.
    """

    severity: str
    table: str | None
    message: str
    where: str | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        parts = [self.severity.upper()]
        location = self.where or (f"table '{self.table}'" if self.table else "file")
        parts.append(location)
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.value is not None:
            parts.append(f"value '{self.value}'")
        return " | ".join(parts) + f": {self.message}"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table with clinical column headers, errors first."""
    columns = ["Severity", "Table", "Where", "Column", "Value", "Problem"]
    rows = [
        (p.severity, p.table or "", p.where or "", p.column or "", "" if p.value is None else p.value, p.message)
        for p in sorted(problems, key=lambda p: p.severity != ERROR)
    ]
    return pd.DataFrame(rows, columns=columns)


def problem_summary(problems: list[Problem], *, shown: int = 8) -> str:
    """A short message for the user: how many errors, the first few located, what happens next."""
    errors = [p for p in problems if p.severity == ERROR]
    lines = [
        f"The file could not be loaded: {len(errors)} problem{'s' if len(errors) != 1 else ''} to fix. "
        "The previously loaded cohort is still in use."
    ]
    lines += [f"- {_plain(p)}" for p in errors[:shown]]
    if len(errors) > shown:
        lines.append(f"- … and {len(errors) - shown} more, in the table below.")
    return "\n".join(lines)


def _plain(problem: Problem) -> str:
    where = problem.where or (f"table {problem.table}" if problem.table else "file")
    column = f", column {problem.column}" if problem.column else ""
    value = f" (value: {problem.value})" if problem.value not in (None, "") else ""
    # Backslash-escape characters markdown would interpret in user-provided text.
    text = f"{where}{column}{value}: {problem.message}"
    return "".join("\\" + ch if ch in "*_`[]<>#|~" else ch for ch in text)


@dataclass
class CohortError(Exception):
    """The cohort cannot be loaded; ``problems`` lists every located reason."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def summary(self) -> str:
        n = len(self.errors)
        return f"The cohort could not be loaded: {n} problem{'s' if n != 1 else ''} to fix."


class TooFewPatients(Exception):
    """A statistic cannot be computed for the current selection.

    Raised by analysis functions when a filter leaves too few patients (or
    too few paired values) for the statistic; the message says so in clinical
    words and is shown in place of the statistic, never as an error.
    """
