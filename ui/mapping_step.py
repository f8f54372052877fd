"""The Data page's mapping step: when an upload's headers or codes differ, map them and load again.

Shown after a failed upload. For each table read, the user picks which of
their columns holds each dashboard column (pre-filled by fuzzy matching on
names and English/French synonyms) and translates coded values the loader
does not know (``Mastocytose systémique indolente`` → ISM). The mapping can be
downloaded as JSON and uploaded again next time (or given to the command
line with ``--mapping FILE``). Everything stays in this session's memory.
"""

from __future__ import annotations

import streamlit as st

from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.importers.mapping import codes_to_map, coded_columns, mapping_json, read_mapping, suggest_columns
from omalizumab_core.data.problems import CohortError
from ui import session

NOT_IN_FILE = "(not in my file)"


def _raw_tables(files):
    """The failed upload's tables as read (headers and values), or None when it cannot be read at all."""
    from omalizumab_core.data.importers import read_foreign_upload
    from omalizumab_core.data.reading import read_upload

    try:
        return read_foreign_upload(files) or read_upload(files)
    except CohortError:
        return None


def mapping_step() -> None:
    """The expander offering a column and code mapping for the last failed upload."""
    files = st.session_state.get(session.FAILED_FILES)
    if not files:
        return
    raw = _raw_tables(files)
    if raw is None:
        return
    problems = st.session_state.get(session.LOAD_PROBLEMS) or []
    # Open by default only when the problems are about names: a missing column or an unknown code.
    about_names = any("Missing column" in p.message or "use one of" in p.message for p in problems)
    with st.expander("Map your columns: headers or codes named differently", expanded=about_names, icon=":material/swap_horiz:"):
        saved = st.file_uploader("A mapping saved before (.json)", type=["json"], key="mapping_upload")
        if saved is not None:
            try:
                mapping = read_mapping(saved.getvalue())
            except CohortError as error:
                st.error(error.problems[0].message)
                return
            st.button("Load with the saved mapping", on_click=_load, args=(files, mapping), type="primary")
            return
        mapping = {"columns": {}, "codes": {}}
        for name, table in raw.tables.items():
            written = [table.column_label(c) for c in table.frame.columns]
            st.markdown(f"**{name.replace('_', ' ').capitalize()}** ({table.origin})")
            suggested = suggest_columns(name, written)
            chosen = {}
            for column in TABLE_COLUMNS[name]:
                if not column.required and suggested[column.name] is None:
                    continue
                options = [NOT_IN_FILE, *written]
                default = options.index(suggested[column.name]) if suggested[column.name] in written else 0
                label = f"{column.name}{' (required)' if column.required else ''}: {column.meaning}"
                pick = st.selectbox(label, options, index=default, key=f"map_{name}_{column.name}")
                if pick != NOT_IN_FILE:
                    chosen[column.name] = pick
            mapping["columns"][name] = chosen
            by_label = {table.column_label(c): c for c in table.frame.columns}
            for column in coded_columns(name):
                if column not in chosen:
                    continue
                values = table.frame[by_label[chosen[column]]].tolist()
                to_map = codes_to_map(name, column, values)
                codes = [c for c in next(c for c in TABLE_COLUMNS[name] if c.name == column).codes]
                translated = {}
                for value, suggestion in to_map.items():
                    options = ["(leave as is)", *codes]
                    pick = st.selectbox(f"{column}: '{value}' means", options, index=options.index(suggestion) if suggestion in codes else 0,
                                        key=f"code_{name}_{column}_{value}")
                    if pick != "(leave as is)":
                        translated[value] = pick
                if translated:
                    mapping["codes"].setdefault(name, {})[column] = translated
        left, right = st.columns(2)
        left.button("Load with this mapping", on_click=_load, args=(files, mapping), type="primary", icon=":material/upload:")
        right.download_button("Download this mapping (.json)", mapping_json(mapping["columns"], mapping["codes"]), "column_mapping.json",
                              "application/json", icon=":material/download:")


def _load(files, mapping) -> None:
    session.load_files(files, mapping=mapping)
