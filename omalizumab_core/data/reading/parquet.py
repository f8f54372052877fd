"""Parquet tables: native column types, sizes checked from the metadata before decoding.

A Parquet file states its rows, columns and the uncompressed size of each
column chunk in its footer; a dictionary-encoded text column can still decode
to far more than that (a million copies of one long text). Both are checked
before pandas decodes anything: the footer against the row, column and cell
budgets, and the text columns, read still dictionary-encoded, against the
text-length and decoded-size budgets.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawTable
from omalizumab_core.data.reading.budgets import (
    MAX_DECODED_BYTES,
    MAX_PARQUET_CELLS,
    MAX_TOTAL_BYTES,
    RAISE_ADVICE,
    budget_error,
    check_shape,
    scaled,
    text_limit,
)
from omalizumab_core.data.reading.common import (
    blank_cells,
    cohort_error,
    column_names,
    content_kind,
    megabytes,
    normalise,
    without_blank_rows,
)
from omalizumab_core.data.reading.csv_text import CP1252_FALLBACK


def read_parquet(content: bytes, origin: str, table: str) -> RawTable:
    """Read a parquet table with its native column types; rows numbered from 1.

    Native types are kept, except where the validator could not use them:
    date-times with a time zone become the local date-time they show, and
    binary (bytes) values are decoded as text. A column holding lists or nested
    records is an error: a table has one plain value per cell. The budgets
    are checked first (:func:`_check_budgets`).
    """
    try:
        frame = _read_within_budgets(content, origin, table)
    except CohortError:
        raise
    except Exception:
        duplicate = _parquet_duplicate_column(content)
        if duplicate is not None:
            raise CohortError(problems=[Problem(
                ERROR,
                table,
                f"This table has two columns named '{duplicate}'. Rename or delete one of them.",
                where=origin,
                column=duplicate,
            )]) from None
        kind = content_kind(content)
        if kind and not content.startswith(b"PAR1"):
            reason = f"it is {kind}"
        else:
            reason = "it may be damaged or another kind of file renamed .parquet"
        raise cohort_error(
            f"This file could not be read as a Parquet file: {reason}. Export it again.", where=origin, table=table
        ) from None
    # A named index (e.g. written from frame.set_index("patient_id")) is data;
    # an unnamed one is only pandas' row labels.
    named_index = any(name is not None for name in frame.index.names)
    frame = _plain_values(frame.reset_index(drop=not named_index), origin, table)
    # Row numbers as the user counts them; int32 (50 MB, not 100, for 13 million rows) while they fit.
    numbers = np.arange(1, len(frame) + 1, dtype=np.int32 if len(frame) < 2**31 - 1 else np.int64)

    def has_data(position: int) -> bool:
        return not blank_cells(frame.iloc[:, position]).all()

    header = [str(column) for column in frame.columns]
    keep, names, originals = column_names(header, has_data, origin, table, lambda position: str(position + 1))
    frame = frame.iloc[:, keep].set_axis(names, axis=1)
    return without_blank_rows(RawTable(table, frame, origin, "row", numbers, originals))


def _parquet_duplicate_column(content: bytes) -> str | None:
    """A column name the parquet schema holds twice (pandas refuses such files), or None."""
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(io.BytesIO(content)).names
    except Exception:
        return None
    seen = set()
    for name in names:
        if name in seen:
            return str(name)
        seen.add(name)
    return None


_NESTED = (list, tuple, dict, set, np.ndarray)


def _plain_values(frame: pd.DataFrame, origin: str, table: str) -> pd.DataFrame:
    """Parquet columns as plain values: local date-times, text for bytes; nested values refused."""
    columns = {}
    for position, (name, column) in enumerate(frame.items()):
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            # The clock time the clinician saw, in the zone it was recorded in.
            columns[position] = column.dt.tz_localize(None)
        elif column.dtype == object:
            inferred = pd.api.types.infer_dtype(column, skipna=True)
            if inferred == "mixed":
                nested = column.map(lambda value: isinstance(value, _NESTED)).to_numpy(dtype=bool)
                if nested.any():
                    row = int(np.flatnonzero(nested)[0]) + 1
                    raise CohortError(problems=[Problem(
                        ERROR,
                        table,
                        "This column holds lists or nested records, not one plain value per cell. "
                        "Export the table again with one value per cell.",
                        where=f"{origin}, row {row}",
                        column=str(name),
                    )])
            if inferred in ("bytes", "mixed"):
                columns[position] = column.map(_bytes_as_text)
    if not columns:
        return frame
    frame = frame.copy()
    for position, values in columns.items():
        frame.isetitem(position, values)
    return frame


def _bytes_as_text(value: object) -> object:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors=CP1252_FALLBACK)
    return value


_MAX_CHUNKS = 100_000
"""Most column chunks (row groups x columns) in one file: each costs a metadata lookup."""


def _read_within_budgets(content: bytes, origin: str, table: str) -> pd.DataFrame:
    """The table as ``pd.read_parquet`` gives it, read once, refused before decoding when over budget.

    The text columns are read still dictionary-encoded and checked
    (:func:`_check_budgets`); the other columns are then read and the two
    parts put back in the file's order, the text columns the file does not
    dictionary-encode decoded only now. The frame is
    ``pyarrow.Table.to_pandas`` of the whole table, as in ``pd.read_parquet``
    (pandas metadata: index, categoricals), without consolidating the
    columns into 2-D blocks (one copy of 13 million rows fewer, issue 21).
    A file whose footer cannot be read raises pyarrow's error, which
    :func:`read_parquet` turns into a located message.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    coded = _check_budgets(content, origin, table)
    if coded is None:  # the footer or the text columns could not be read: let the full read say why
        return pd.read_parquet(io.BytesIO(content))
    schema = pq.read_schema(io.BytesIO(content))
    if not schema.names:
        return pd.read_parquet(io.BytesIO(content))
    others = [name for name in schema.names if name not in coded.column_names]
    rest = pq.read_table(io.BytesIO(content), columns=others, use_pandas_metadata=False) if others else None
    columns = []
    for field in schema:
        if field.name in coded.column_names:
            column = coded.column(field.name)
            if not pa.types.is_dictionary(field.type):
                column = column.cast(field.type)  # decoded only now, within the checked budget
        else:
            column = rest.column(field.name)
        columns.append(column)
    whole = pa.Table.from_arrays(columns, schema=schema)
    del coded, rest, columns
    return whole.to_pandas(split_blocks=True, self_destruct=True)


def _check_budgets(content: bytes, origin: str, table: str):
    """Refuse a Parquet table whose footer or text columns exceed the budgets, before decoding it.

    Returns the text columns, read dictionary-encoded (an empty table when
    there is none), or None when the footer or those columns cannot be read:
    :func:`read_parquet` then explains that the file is damaged.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(content))
        meta = parquet.metadata
        schema = parquet.schema_arrow
    except Exception:
        return None
    rows, columns = meta.num_rows, meta.num_columns
    check_shape(rows, columns, scaled(MAX_PARQUET_CELLS), origin, table)
    if meta.num_row_groups * max(columns, 1) > _MAX_CHUNKS:
        raise budget_error(
            f"This Parquet file is cut into {meta.num_row_groups:,} row groups, more than the dashboard reads "
            "(limit: parts per file). Write it again in one piece (e.g. pandas' to_parquet).",
            origin,
            table,
        )
    encoded = sum(
        meta.row_group(group).column(column).total_uncompressed_size
        for group in range(meta.num_row_groups)
        for column in range(columns)
    )
    if encoded > scaled(MAX_TOTAL_BYTES):
        raise budget_error(
            f"This table is {megabytes(encoded)} once uncompressed, more than the {megabytes(scaled(MAX_TOTAL_BYTES))} "
            f"the dashboard reads (limit: uncompressed size per file). {RAISE_ADVICE}",
            origin,
            table,
        )
    def is_text(kind) -> bool:
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)

    text = [field.name for field in schema if is_text(field.type)]
    decoded = rows * 9 * (len(schema) - len(text))  # 8 bytes a value, and a validity bit
    if len(set(schema.names)) != len(schema.names):
        return None  # two columns of one name: read_parquet names the column
    try:
        coded = pq.read_table(io.BytesIO(content), columns=text, read_dictionary=text) if text else pa.table({})
    except Exception:
        return None
    for name, column in zip(coded.column_names, coded.columns):
        limit = text_limit(normalise(name), table)
        offset = 0
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                lengths = pc.binary_length(chunk.dictionary).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
                indices = chunk.indices.fill_null(len(lengths)).to_numpy(zero_copy_only=False)
                # Each distinct text measured once; rows counted per entry (a null row counts 0).
                uses = np.bincount(indices, minlength=len(lengths) + 1)[: len(lengths)]
                longest = int(lengths[uses > 0].max(initial=0))
                total = int(uses @ lengths)
                if longest > limit:
                    per_row = np.append(lengths, 0)[indices]
            else:
                per_row = pc.binary_length(chunk).fill_null(0).to_numpy(zero_copy_only=False)
                longest = int(per_row.max(initial=0))
                total = int(per_row.sum())
            if longest > limit:
                row = offset + int(np.flatnonzero(per_row > limit)[0]) + 1
                raise CohortError(problems=[Problem(
                    ERROR, table,
                    f"This cell holds {longest:,} characters or more, more than the {limit:,} allowed in this "
                    "column (limit: text per cell). It was probably pasted by mistake: shorten it, or move "
                    "long notes out of the cohort file.",
                    where=f"{origin}, row {row}", column=str(name),
                )])
            decoded += total + 8 * len(chunk)
            offset += len(chunk)
    if decoded > scaled(MAX_DECODED_BYTES):
        raise budget_error(
            f"This table would take {megabytes(decoded)} of memory once decoded, more than the "
            f"{megabytes(scaled(MAX_DECODED_BYTES))} the dashboard allows for one table (limit: decoded size). {RAISE_ADVICE}",
            origin,
            table,
        )
    return coded
