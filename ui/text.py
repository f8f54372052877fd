r"""Showing user- or file-supplied text safely: the one place where it is made inert.

Streamlit renders markdown in ``st.markdown``, captions, alerts, toasts,
status labels, tab and expander labels, metric labels and help texts, and in
widget labels. A column named ``![b](http://server/beacon)``, a patient id
``[click](http://…)`` in a link, or a centre called ``:red[urgent]`` would be
drawn as an image (which the browser fetches: any outside server learns who
opened the page and when), a link or coloured text. Every text that comes
from an uploaded file (cell values, column, sheet and file names) or from the
URL goes through :func:`plain` before it reaches any of those, so it is shown
exactly as written, as text:

- the characters that make markdown elements are backslash-escaped, so they
  render as themselves: ``[ ]`` (links, images, Streamlit's ``:red[…]``
  directives), ``< >`` (HTML, autolinks, quotes), ``* _ ~ ` |`` (emphasis,
  code, tables), ``#`` (headings), ``$`` (KaTeX formulas), ``&`` (entities),
  ``\`` itself, ``@`` (e-mail autolinks), the colon of ``://`` and the dot of
  ``www.`` (bare web addresses), and a list marker at the start; other
  punctuation, such as the brackets of "(ISM)", is left as it is (and
  emoji short codes like ``:smile:`` still show as emoji: harmless);
- line breaks become spaces (a label is one line; a new line could start a
  heading or a list);
- control characters (NUL...), the bidirectional overrides and isolates that
  can make ``exe.txt`` read ``txt.exe`` (U+202A–U+202E, U+2066–U+2069) and
  other invisible format characters are shown as "�";
- text longer than ``limit`` characters (200 by default) is cut with "…"
  (a 1 MB cell would otherwise stall the browser).

Tables (``st.dataframe``) and select-box options are drawn as plain text by
Streamlit and need none of this.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SHOWN = 200
"""Characters of user-supplied text shown in a label or a sentence; the rest is cut with "…"."""

_ESCAPED = frozenset("\\`*_[]<>#|~$&@")
_WEB = re.compile(r"(?<=[A-Za-z0-9]):(?=//)|(?<=www)\.", re.IGNORECASE)
_LIST_START = re.compile(r"^(\s*)([-+]|\d{1,9}[.)])(?=\s|$)")
_REPLACEMENT = "\ufffd"


def plain(text: object, *, limit: int = MAX_SHOWN) -> str:
    """``text`` made safe to put in any Streamlit markdown or label, shown as written.

    Parameters
    ----------
    text : object
        Anything; converted with ``str``.
    limit : int, default 200
        Longest text shown, in characters, before escaping; longer text is cut
        and ends with "…".

    Returns
    -------
    str
        Markdown that renders as the literal text: no image, link, HTML tag,
        colour, heading, list or formula can come out of it. (Emoji and icon
        short codes such as ``:smile:`` are still drawn as the emoji or icon:
        Streamlit draws them from its own font, nothing is fetched.)

    Examples
    --------
    >>> print(plain("![b](http://x/y)"))
    !\\[b\\](http\\://x/y)
    >>> plain("Hôpital Necker")
    'Hôpital Necker'
    """
    value = str(text)
    if len(value) > limit:
        value = value[:limit] + "…"
    out = []
    for ch in value:
        if ch in _ESCAPED:
            out.append("\\" + ch)
        elif ch in "\r\n\t\v\f\u2028\u2029\x85":
            out.append(" ")
        elif _invisible(ch):
            out.append(_REPLACEMENT)
        else:
            out.append(ch)
    text = _WEB.sub(lambda m: "\\" + m.group(0), "".join(out))
    return _LIST_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def _invisible(ch: str) -> bool:
    # Cc: control characters (NUL, ESC...); Cf: format characters, among them
    # the bidirectional overrides and isolates and zero-width characters;
    # Cs/Co/Cn: surrogates, private use and unassigned code points.
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")
