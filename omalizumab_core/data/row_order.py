"""Whether table rows are already in order: one vectorised check shared by validation and scoring."""

from __future__ import annotations

import numpy as np


def rows_in_order(columns, *, strict: bool) -> bool:
    """True when the rows never decrease on ``columns`` taken in order (lexicographically).

    Compared column by column on consecutive rows, without building a sort
    key (13 million rows at registry scale). With ``strict``, two
    consecutive rows equal on every column also make it False.

    Parameters
    ----------
    columns : sequence of 1-D arrays of equal length
        The sort keys, most significant first.
    strict : bool
        Require a strict increase (no repeated key).

    Examples
    --------
    >>> import numpy as np
    >>> rows_in_order([np.array([1, 1, 2]), np.array([3, 4, 0])], strict=True)
    True
    >>> rows_in_order([np.array([1, 1]), np.array([4, 4])], strict=False), rows_in_order([np.array([1, 1]), np.array([4, 4])], strict=True)
    (True, False)
    """
    tied: np.ndarray | None = None  # consecutive rows equal on the columns so far
    for column in columns:
        before, after = column[:-1], column[1:]
        lower = after < before
        if tied is not None:
            lower &= tied
        if lower.any():
            return False
        equal = after == before
        tied = equal if tied is None else tied & equal
    return not (strict and tied is not None and tied.any())
