"""A browser-less client of a running Streamlit server, for the load test.

It speaks the protocol the browser speaks, over loopback: an HTTP GET of the
health endpoint (which hands out the XSRF cookie, as it does to the browser), then one websocket (``/_stcore/stream``) carrying
``BackMsg`` protobufs up and ``ForwardMsg`` protobufs down, and the upload
endpoint for files. So the server runs exactly what it runs for a browser
tab: one session, one script thread, the same session cleanup when the
websocket closes. Only what the load test needs is implemented: rerun a
page with some widget values, upload files into a file uploader, read the
elements a run drew.

Used only by ``benchmarks/load_test.py``; it depends on Streamlit's own
protobuf classes and on ``websockets`` and ``requests``, which Streamlit
itself installs.
"""

from __future__ import annotations

import itertools
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

XSRF_COOKIE = "_streamlit_xsrf"
_FINAL = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class ProtocolError(RuntimeError):
    """The server answered something the client did not expect (or nothing in time)."""


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float
    elements: list = field(default_factory=list)  # (type name, proto) for every new element
    exceptions: list[str] = field(default_factory=list)

    def widgets(self, kind: str) -> list:
        return [proto for name, proto in self.elements if name == kind]


class StreamlitSession:
    """One browser tab: a websocket session on a Streamlit server."""

    def __init__(self, base_url: str, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.http.get(self.base_url + "/_stcore/health", timeout=timeout).raise_for_status()
        self.xsrf = self.http.cookies.get(XSRF_COOKIE)
        origin = self.base_url
        headers = {"Origin": origin}
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        if cookie:
            headers["Cookie"] = cookie
        ws_url = "ws" + self.base_url[len("http"):] + "/_stcore/stream"
        # The browser passes its XSRF token as the second websocket subprotocol.
        protocols = ["streamlit", self.xsrf] if self.xsrf else ["streamlit"]
        self._open = ExitStack()  # websockets wants its connection used as a context manager
        self.ws = self._open.enter_context(connect(ws_url, subprotocols=protocols, additional_headers=headers, max_size=None, open_timeout=timeout))
        self.session_id: str | None = None
        self.pages: dict[str, str] = {}  # url path ("" = the default page) -> page script hash, from st.navigation
        self.page_hash = ""
        self.query_string = ""
        self._request_ids = itertools.count()

    # ------------------------------------------------------------------ runs
    def rerun(self, page: str | None = None, widgets: list[WidgetState] | tuple = ()) -> Run:
        """Run the script (on ``page``, a url path, if given) and wait for it to finish."""
        if page is not None:
            if page not in self.pages:
                raise ProtocolError(f"page {page!r} is not in the app's navigation ({sorted(self.pages)})")
            self.page_hash = self.pages[page]
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        state.widget_states.widgets.extend(widgets)
        t0 = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        run = Run(seconds=0.0)
        while True:
            forward = self._receive()
            kind = forward.WhichOneof("type")
            if kind == "script_finished" and forward.script_finished in _FINAL:
                run.seconds = time.perf_counter() - t0
                return run
            self._absorb(forward, kind, run)

    def _absorb(self, forward: ForwardMsg, kind: str, run: Run) -> None:
        if kind == "new_session":
            self.session_id = forward.new_session.initialize.session_id or self.session_id
        elif kind == "navigation":
            self._learn_pages(forward.navigation.app_pages)
            self.page_hash = forward.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            # The app writes its filters into the URL; the browser sends them back.
            self.query_string = forward.page_info_changed.query_string
        elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            element = forward.delta.new_element
            name = element.WhichOneof("type")
            proto = getattr(element, name) if name else None
            run.elements.append((name, proto))
            if name == "exception":
                run.exceptions.append(f"{proto.type}: {proto.message}"[:300])

    def _learn_pages(self, app_pages) -> None:
        for page in app_pages:
            self.pages[page.url_pathname] = page.page_script_hash

    def _receive(self) -> ForwardMsg:
        try:
            data = self.ws.recv(timeout=self.timeout)
        except TimeoutError as error:
            raise ProtocolError(f"no message from the server within {self.timeout} s") from error
        forward = ForwardMsg()
        forward.ParseFromString(data)
        return forward

    # --------------------------------------------------------------- uploads
    def upload(self, uploader, files: list[tuple[str, bytes]], page: str | None = None) -> Run:
        """Put ``files`` into the file uploader ``uploader`` (its proto) and rerun, as a drop would."""
        request = BackMsg()
        request.file_urls_request.request_id = request_id = f"load-{next(self._request_ids)}"
        request.file_urls_request.session_id = self.session_id or ""
        request.file_urls_request.file_names.extend(name for name, _ in files)
        self.ws.send(request.SerializeToString())
        while True:
            forward = self._receive()
            if forward.WhichOneof("type") == "file_urls_response" and forward.file_urls_response.response_id == request_id:
                break
        response = forward.file_urls_response
        if response.error_msg:
            raise ProtocolError(f"upload refused: {response.error_msg}")
        state = WidgetState(id=uploader.id)
        for (name, content), urls in zip(files, response.file_urls):
            answer = self.http.put(
                self.base_url + urls.upload_url,
                files={"file": (name, content, "application/octet-stream")},
                headers={"X-Xsrftoken": self.xsrf} if self.xsrf else {},
                timeout=self.timeout,
            )
            if answer.status_code >= 400:
                raise ProtocolError(f"upload of {name} answered HTTP {answer.status_code}: {answer.text[:200]}")
            info = state.file_uploader_state_value.uploaded_file_info.add()
            info.file_id = urls.file_id
            info.name = name
            info.size = len(content)
            info.file_urls.CopyFrom(urls)
        return self.rerun(page, [state])

    def close(self) -> None:
        self._open.close()
        self.http.close()


def multiselect_state(widget, values: list[str]) -> WidgetState:
    """The state the browser sends for a multiselect showing ``values`` (its option labels)."""
    state = WidgetState(id=widget.id)
    state.string_array_value.data.extend(values)
    return state


