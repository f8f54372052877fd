"""Settings of the web server that the dashboard's privacy promise depends on.

Streamlit (1.67) receives uploads through Starlette's multipart parser, which
keeps a file part in memory up to 1 MB and then moves it into a temporary
file (``tempfile.SpooledTemporaryFile``: a deleted file in ``/tmp``, on disk
while the upload arrives and until the request ends). The dashboard promises
that nothing is written to disk, so :func:`keep_uploads_in_memory` raises that
threshold above the largest upload the server accepts: every part stays in
memory. tests/test_upload_not_on_disk.py checks the server's open files
during a real 5 MB upload. docs/deployment.md also sets ``TMPDIR`` to a
memory file system in the service's start command, in case a later Streamlit
spools somewhere else.

Streamlit also asks ``checkip.amazonaws.com`` for the machine's external
address: to print it at a headless start (prevented by setting
``browser.serverAddress`` in .streamlit/config.toml) and when it checks the
origin of a request from an unknown host name. :func:`no_external_ip_lookup`
turns that look-up off: the dashboard never contacts a third party.
"""

from __future__ import annotations

import streamlit as st

_MULTIPART_MARGIN = 2**20  # headers and boundaries around the file in the request


def keep_uploads_in_memory() -> None:
    """Make the upload parser keep file parts of any accepted size in memory (idempotent)."""
    try:
        from starlette.formparsers import MultiPartParser
    except ImportError:  # a Streamlit without the Starlette server: nothing to change
        return
    largest = int(st.get_option("server.maxUploadSize")) * 2**20 + _MULTIPART_MARGIN
    if getattr(MultiPartParser, "spool_max_size", largest) < largest:
        MultiPartParser.spool_max_size = largest


def no_external_ip_lookup() -> None:
    """Make Streamlit's external-address look-up answer "unknown" without asking any outside server (idempotent)."""
    try:
        from streamlit import net_util
    except ImportError:  # a Streamlit without it: nothing to change
        return
    net_util.get_external_ip = lambda: None  # read from the module at each call (server_util, bootstrap)
