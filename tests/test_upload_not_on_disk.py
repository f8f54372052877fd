"""An upload is never written to disk by the web server, even while it arrives.

Streamlit's upload endpoint parses the multipart request with Starlette,
which by default spools any file part over 1 MB into a temporary file
(``/tmp/…``, deleted at once but open, on disk, while the upload arrives).
The dashboard keeps parts in memory (``ui/server.py``). The check: a real
``streamlit run app.py`` receives a 5 MB upload sent in two halves, and
between them the server's open files (``/proc/PID/fd``) must hold no
regular file outside the server's own code and libraries, and none in the
temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from benchmarks.local_server import free_port, stop, wait_until_healthy
from benchmarks.streamlit_client import StreamlitSession

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc to list a process's open files")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url, process.pid
    finally:
        stop(process)


def open_files(pid: int) -> list[str]:
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return found


def spooled(paths: list[str]) -> list[str]:
    """Open files that could hold an upload: in the temporary folder, or deleted files anywhere."""
    temporary = {tempfile.gettempdir(), "/tmp", "/var/tmp"}
    return [p for p in paths if p.startswith("/") and (p.endswith("(deleted)") or any(p.startswith(t + "/") for t in temporary))
            and not p.startswith("/dev/")]


def test_a_large_upload_is_held_in_memory_while_it_arrives(server):
    url, pid = server
    client = StreamlitSession(url)
    try:
        client.rerun()  # opens the session (its id is needed to upload) and runs app.py once
        request = __import__("streamlit.proto.BackMsg_pb2", fromlist=["BackMsg"]).BackMsg()
        request.file_urls_request.request_id = "spool"
        request.file_urls_request.session_id = client.session_id
        request.file_urls_request.file_names.append("cohort.zip")
        client.ws.send(request.SerializeToString())
        while True:
            forward = client._receive()
            if forward.WhichOneof("type") == "file_urls_response":
                break
        upload_url = url + forward.file_urls_response.file_urls[0].upload_url

        boundary = "----spoolcheck"
        content = os.urandom(5 * 2**20)
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cohort.zip\"\r\n"
                "Content-Type: application/zip\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        half_sent, inspected = threading.Event(), threading.Event()

        def body():
            yield head
            yield content[: 4 * 2**20]
            half_sent.set()
            inspected.wait(30)
            yield content[4 * 2**20 :]
            yield tail

        answer = {}

        def send():
            answer["response"] = client.http.put(
                upload_url, data=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": client.xsrf},
                timeout=60,
            )

        sender = threading.Thread(target=send)
        sender.start()
        assert half_sent.wait(30)
        import time

        deadline = time.monotonic() + 3
        during = []
        while time.monotonic() < deadline:  # the server reads the first 4 MB meanwhile
            during += spooled(open_files(pid))
            time.sleep(0.05)
        inspected.set()
        sender.join(60)
        assert answer["response"].status_code == 204, answer["response"].text[:200]
        assert during == [], f"the upload was spooled to {sorted(set(during))}"
    finally:
        client.close()
