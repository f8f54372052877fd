"""Figures as SVG or PNG files at a journal's size, made offline.

plotly's static export (kaleido) draws the figure in a headless Chromium on
this machine: nothing is fetched from the network (plotly.js comes with the
plotly package). On Debian, ``apt-get install chromium`` provides the browser
(the one the browser tests use); :func:`figure_file` finds it at
``/usr/bin/chromium`` unless ``BROWSER_PATH`` names another. One browser is
kept running per process after the first figure (the first takes a few
seconds, the next a fraction of a second).
"""

from __future__ import annotations

import atexit
import io
import os
import threading
import warnings

import plotly.graph_objects as go

JOURNAL_WIDTHS_MM = {"single column": 85, "double column": 175}
"""Usual figure widths of journals (J Allergy Clin Immunol Pract: 85 mm single, 175 mm double column)."""
SCREEN_DPI = 96  # plotly lays out figures in CSS pixels, 96 per inch
DEBIAN_CHROMIUM = "/usr/bin/chromium"
_lock = threading.Lock()
_server_started = False


class FigureExportError(RuntimeError):
    """The figure cannot be exported on this machine (the message says what to install)."""


def export_unavailable() -> str | None:
    """Why figure files cannot be made on this machine (what to install), or None when they can.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> oc.figure_export_unavailable() is None or "install" in oc.figure_export_unavailable()
    True
    """
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return "Figure files need the kaleido package: pip install -r requirements.txt."
    browser = os.environ.get("BROWSER_PATH") or (DEBIAN_CHROMIUM if os.path.exists(DEBIAN_CHROMIUM) else None)
    if browser is None:
        import shutil

        browser = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(name)), None)
    if browser is None:
        return "Figure files need Chromium on the server: on Debian, apt-get install chromium (or set BROWSER_PATH)."
    return None


def _start_browser() -> None:
    global _server_started
    if _server_started:
        return
    try:
        import kaleido
    except ImportError:
        raise FigureExportError("Figure files need the kaleido package: pip install -r requirements.txt.") from None
    if "BROWSER_PATH" not in os.environ and os.path.exists(DEBIAN_CHROMIUM):
        os.environ["BROWSER_PATH"] = DEBIAN_CHROMIUM
    kaleido.start_sync_server(silence_warnings=True)
    _server_started = True
    atexit.register(_stop_browser)


def _stop_browser() -> None:
    try:
        import kaleido

        kaleido.stop_sync_server(silence_warnings=True)
    except Exception:  # the browser's temporary profile may already be gone at exit
        pass


def _svg_in_mm(svg: bytes, width_mm: float, height_mm: float, width_px: int, height_px: int) -> bytes:
    """Give the SVG its physical size (width="85mm") while keeping its drawing in pixels (viewBox)."""
    text = svg.decode("utf-8")
    head, sep, rest = text.partition(">")
    head = head.replace(f'width="{width_px}"', f'width="{width_mm:g}mm"', 1).replace(f'height="{height_px}"', f'height="{height_mm:.1f}mm"', 1)
    if "viewBox" not in head:
        head += f' viewBox="0 0 {width_px} {height_px}"'
    return (head + sep + rest).encode("utf-8")


def figure_file(figure: go.Figure, *, width_mm: float = 85, fmt: str = "svg", dpi: int = 300) -> bytes:
    """The figure as an SVG or PNG file ``width_mm`` wide, for a manuscript.

    Parameters
    ----------
    figure : plotly Figure
    width_mm : float
        Printed width in millimetres (85 single column, 175 double column).
    fmt : {"svg", "png"}
    dpi : int
        Resolution of a PNG (300 by default, as journals ask); the PNG carries it.

    Returns
    -------
    bytes
        The file. Its height keeps the figure's proportions on screen.

    Raises
    ------
    ValueError
        An unknown format, or a width outside 20–500 mm.
    FigureExportError
        No kaleido package or no Chromium on this machine (the message says what to install).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> figure = oc.waterfall_plot(oc.waterfall_data(oc.score_cohort(oc.load_cohort("demo"))))
    >>> b'width="85mm"' in oc.figure_file(figure, width_mm=85, fmt="svg")  # doctest: +SKIP
    True
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt must be 'svg' or 'png', not {fmt!r}.")
    if not 20 <= width_mm <= 500:
        raise ValueError(f"width_mm must be between 20 and 500 mm, not {width_mm}.")
    width_px = round(width_mm / 25.4 * SCREEN_DPI)
    screen_width = figure.layout.width or 700
    height_px = round((figure.layout.height or 450) * max(width_px / screen_width, 0.6))
    shown = go.Figure(figure)
    shown.update_layout(width=width_px, height=height_px)
    with _lock:
        _start_browser()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server": the browser is already set
                scale = 1 if fmt == "svg" else dpi / SCREEN_DPI
                data = shown.to_image(format=fmt, width=width_px, height=height_px, scale=scale)
        except FigureExportError:
            raise
        except Exception as error:  # kaleido's errors when no browser can start
            raise FigureExportError(
                f"The figure could not be drawn to a file ({type(error).__name__}). Figure files need Chromium: "
                "on Debian, apt-get install chromium (or set BROWSER_PATH to a Chrome or Chromium)."
            ) from None
    if fmt == "svg":
        return _svg_in_mm(data, width_mm, height_px / width_px * width_mm, width_px, height_px)
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()
