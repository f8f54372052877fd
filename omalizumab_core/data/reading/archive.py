"""Zip files and folders of ``<table>.csv`` / ``<table>.parquet`` files.

A zip is opened in memory; its declared sizes are checked before anything is
decompressed, and each member is decompressed never past the per-file budget
(a declared size can lie). Names pointing outside the zip are refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from omalizumab_core.data.cohort import TABLES
from omalizumab_core.data.problems import CohortError
from omalizumab_core.data.reading import budgets
from omalizumab_core.data.reading.budgets import too_large_member, too_large_total
from omalizumab_core.data.reading.common import (
    CSV,
    PARQUET,
    Found,
    cohort_error,
    content_kind,
    extension,
    file_names,
    renamed_csv,
    table_of_file,
)
from omalizumab_core.data.reading.tables import read_table_file


def tables_from_zip(name: str, content: bytes) -> list[Found]:
    """Tables of a zip file, read into memory member by member."""
    where = f"file {name}"
    budgets.check_zip_entries(content, where)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception:
        kind = content_kind(content)
        if kind and not content.startswith(b"PK"):
            reason = f"it is {kind}"
        else:
            reason = "it may be incomplete (an interrupted download or copy) or damaged"
        advice = " Create the zip again."
        if text := renamed_csv(content, ".zip"):
            reason, advice = text, ""
        raise cohort_error(f"This file could not be opened as a zip file: {reason}.{advice}", where) from None
    with archive:
        members = archive.infolist()
        unsafe = [info.filename for info in members if _unsafe_member(info.filename)]
        if unsafe:
            raise cohort_error(
                f"The zip file holds a file whose name points outside the zip ('{unsafe[0]}'). "
                "For safety it was not read. Create the zip again from the folder holding your tables.",
                where,
            )
        chosen = [(info, table) for info in members if (table := _zip_member_table(info)) is not None]
        if not chosen:
            raise cohort_error(_empty_zip_message(members), where)
        _refuse_repeated_tables(chosen, where)
        _check_declared_sizes([info for info, _ in chosen], where)
        found, problems, total = [], [], 0
        for info, table in chosen:
            data = _read_member(archive, info, where)
            total += len(data)
            if total > budgets.MAX_TOTAL_BYTES:
                raise cohort_error(too_large_total(total), where)
            try:
                found.append(Found(read_table_file(data, _member_path(info.filename), table), name))
            except CohortError as error:
                problems.extend(error.problems)
    if problems:
        raise CohortError(problems=problems)
    return found


def _refuse_repeated_tables(chosen: list[tuple[zipfile.ZipInfo, str]], where: str) -> None:
    """Refuse, before decompressing anything, a zip naming the tables in many more files than there are tables.

    A few repeated names are read and reported together with any other
    problem of those files; thousands would each cost a parse.
    """
    if len(chosen) <= 3 * len(TABLES):
        return
    first: dict[str, str] = {}
    for info, table in chosen:
        path = _member_path(info.filename)
        if table in first:
            raise cohort_error(
                f"The table '{table}' was found twice in the zip: {first[table]} and {path}. Keep only one of them.",
                where,
            )
        first[table] = path


def _member_path(filename: str) -> str:
    """Member name with '/' separators (some Windows tools write backslashes)."""
    return filename.replace("\\", "/")


def _unsafe_member(filename: str) -> bool:
    """True for absolute names and names climbing out of the zip ("../x.csv")."""
    path = _member_path(filename)
    return path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None or ".." in path.split("/")


def _zip_member_table(info: zipfile.ZipInfo) -> str | None:
    """Table held by a zip member, or None for anything else (folders, __MACOSX, dotfiles)."""
    if info.is_dir():
        return None
    parts = [part for part in _member_path(info.filename).split("/") if part]
    if not parts or len(parts) > 2 or parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
        return None
    if extension(parts[-1]) not in CSV + PARQUET:
        return None
    return table_of_file(parts[-1])


def _check_declared_sizes(members: list[zipfile.ZipInfo], where: str) -> None:
    """Refuse oversized members before decompressing anything."""
    for info in members:
        if info.file_size > budgets.MAX_MEMBER_BYTES:
            raise cohort_error(too_large_member(info.filename, info.file_size), where)
    total = sum(info.file_size for info in members)
    if total > budgets.MAX_TOTAL_BYTES:
        raise cohort_error(too_large_total(total), where)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """Decompress one member into memory, never past the size limit."""
    try:
        with archive.open(info) as handle:
            # The declared size can lie; reading one byte past the limit is the
            # only check that does not trust the archive.
            data = handle.read(budgets.MAX_MEMBER_BYTES + 1)
    except Exception:
        raise cohort_error(
            f"The file '{_member_path(info.filename)}' could not be read from the zip: the zip may be damaged "
            "or protected by a password. Create the zip again, without a password.",
            where,
        ) from None
    if len(data) > budgets.MAX_MEMBER_BYTES:
        raise cohort_error(too_large_member(info.filename, len(data)), where)
    return data


def _empty_zip_message(members: list[zipfile.ZipInfo]) -> str:
    names = {_member_path(info.filename) for info in members}
    if "[Content_Types].xml" in names:
        return "This file is an Excel workbook renamed .zip. Rename it back to .xlsx."
    return (
        f"This zip file holds no table. Put in it files named {file_names('.csv')} (or .parquet), "
        "at the top of the zip or inside one folder."
    )


def tables_from_folder(folder: Path) -> list[Found]:
    """Tables of a folder: its ``<table>.csv``/``<table>.parquet`` files; others ignored."""
    found, problems = [], []
    for entry in sorted(folder.iterdir()):
        # Dotfiles and Office lock files ("~$...") are never tables.
        if entry.name.startswith((".", "~$")) or extension(entry.name) not in CSV + PARQUET:
            continue
        table = table_of_file(entry.name)
        if table is None or not entry.is_file():
            continue
        try:
            found.append(Found(read_table_file(entry.read_bytes(), entry.name, table)))
        except CohortError as error:
            problems.extend(error.problems)
    if problems:
        raise CohortError(problems=problems)
    if not found:
        raise cohort_error(
            f"This folder holds no table. Put in it files named {file_names('.csv')} (or .parquet).",
            where=f"folder {folder.name}",
        )
    return found
