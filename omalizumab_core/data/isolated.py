"""Reading an upload in a separate worker process, with its own time and memory limits.

The dashboard serves every user from one Python process, which runs one
piece of Python at a time. A file that takes a minute to read would stall
every other user's pages for that minute, and one that needs gigabytes could
take the server down with it. :func:`load_isolated` therefore reads and
validates the upload (:func:`~omalizumab_core.data.loading.load_upload`) in a
child process:

- the child may use at most ``memory_gb`` gigabytes of memory beyond what it
  holds when it starts (``RLIMIT_AS``, so the operating system refuses the
  allocation; Linux and macOS);
- it is killed after ``seconds`` seconds of wall-clock time;
- it is killed as well when the caller's ``on_wait`` callback raises (the
  dashboard's cancel button works so: Streamlit interrupts the page's run);
- only the validated :class:`~omalizumab_core.data.cohort.Cohort` or the list
  of located problems comes back (pickled through a pipe); nothing is written
  to disk.

The worker is a fresh Python interpreter (``python -m
omalizumab_core.data.isolated``, through :mod:`subprocess`), never a fork of
the web server, whose threads and event loop must not be copied, and never a
``multiprocessing`` child, which would re-import the server's main module
(Streamlit's command line). One idle worker is kept started, with the readers
already imported, so an upload does not wait for Python to start; it exits by
itself when the server does (its input closes).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.problems import ERROR, CohortError, Problem

UPLOAD_SECONDS = 60.0
"""Default wall-clock limit for reading and validating one upload, in seconds."""
UPLOAD_MEMORY_GB = 3.0
"""Default memory a reading may use beyond the worker's own start-up memory, in gigabytes.

A 100,000-patient cohort (a 14 MB zip of Parquet files, 13 million symptom
rows) peaks at about 1.6 GB beyond start-up while it is validated and sent
back, so 1.5 GB would refuse it.
"""

_POLL_SECONDS = 0.25
_spare: subprocess.Popen | None = None
_spare_lock = threading.Lock()


def load_isolated(
    files: Sequence[tuple[str, bytes]],
    *,
    seconds: float = UPLOAD_SECONDS,
    memory_gb: float = UPLOAD_MEMORY_GB,
    on_wait: Callable[[float], None] | None = None,
    mapping: dict | None = None,
) -> Cohort:
    """Read and validate uploaded files in a worker process with time and memory limits.

    Parameters
    ----------
    files : sequence of (str, bytes)
        The uploaded files as (file name, content) pairs, as for
        :func:`~omalizumab_core.data.loading.load_upload`.
    seconds : float, default 60
        Wall-clock limit in seconds, from the moment the worker receives the
        files; the worker is killed when it is reached.
    memory_gb : float, default 3
        Memory limit in gigabytes (address space beyond the worker's own
        start-up size); an allocation beyond it fails and the worker stops.
    on_wait : callable, optional
        Called with the elapsed seconds about four times a second while the
        worker runs. If it raises, the worker is killed and the exception
        propagates (the dashboard's cancel button works so).
    mapping : dict, optional
        A column and code mapping, passed to ``load_upload`` (see
        :mod:`omalizumab_core.data.importers.mapping`).

    Returns
    -------
    Cohort
        The validated cohort, exactly as ``load_upload`` returns it.

    Raises
    ------
    CohortError
        The file's located problems, as ``load_upload`` raises them; or one
        problem saying which limit the reading overran (time or memory) and
        how to make the file smaller.

    Examples
    --------
    >>> from omalizumab_core.data.isolated import load_isolated
    >>> files = [("patients.csv", b"patient_id,diagnosis\\nA,ISM\\n"),
    ...          ("symptoms.csv", b"patient_id,symptom,month,score\\nA,flushing,0,1\\nA,flushing,3,0.5\\n")]
    >>> load_isolated(files, seconds=30).n_patients
    1
    """
    files = [(str(name), bytes(content)) for name, content in files]
    job = pickle.dumps((files, mapping, int(memory_gb * 2**30), float(seconds)), protocol=pickle.HIGHEST_PROTOCOL)
    worker = _take_worker()
    answer: list[bytes] = []
    threads = [
        threading.Thread(target=_write, args=(worker.stdin, job), daemon=True),
        threading.Thread(target=_read, args=(worker.stdout, answer), daemon=True),
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        while True:
            threads[1].join(_POLL_SECONDS)
            if not threads[1].is_alive():
                break
            elapsed = time.monotonic() - started
            if elapsed > seconds:
                raise CohortError([_time_overrun(files, seconds)])
            if on_wait is not None:
                on_wait(elapsed)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        for thread in threads:
            thread.join(5)
    output = b"".join(answer)
    try:
        kind, payload = pickle.loads(output)
    except Exception:  # no complete answer: the worker was stopped by one of its limits
        raise CohortError([_overrun(files, seconds, memory_gb, worker.returncode)]) from None
    if kind == "cohort":
        return payload
    if kind == "problems":
        raise CohortError(payload)
    if kind == "memory":
        raise CohortError([_memory_overrun(files, memory_gb)])
    raise CohortError([Problem(ERROR, None, payload)])


def _write(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (OSError, ValueError):  # the worker was killed
        pass


def _read(pipe, into: list) -> None:
    try:
        into.append(pipe.read())
    except (OSError, ValueError):
        pass
    finally:
        pipe.close()


def _start_worker() -> subprocess.Popen:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
        # Allocators that reserve only what they use, so the address-space
        # limit measures the reading (Arrow's default, mimalloc, reserves a
        # whole gigabyte up front; glibc reserves 64 MB per thread arena).
        "ARROW_DEFAULT_MEMORY_POOL": "system",
        "MALLOC_ARENA_MAX": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "omalizumab_core.data.isolated"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,  # no traceback is logged: it could quote the data
        env=env, cwd=root, close_fds=True,
    )


def _take_worker() -> subprocess.Popen:
    """The idle worker started in advance (or a new one), and a new idle one for the next upload."""
    global _spare
    with _spare_lock:
        worker = _spare if _spare is not None and _spare.poll() is None else _start_worker()
        _spare = _start_worker()
    return worker


def _serve() -> None:
    """The worker's main: import the readers, wait for one job on stdin, answer on stdout, exit."""
    answer_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr (discarded), never into the answer
    from omalizumab_core.data.loading import UNEXPECTED, load_upload

    job = sys.stdin.buffer.read()
    if not job:  # the server closed without sending a job (it stopped)
        return
    files, mapping, memory_bytes, seconds = pickle.loads(job)
    del job
    if hasattr(os, "nice"):
        os.nice(10)  # reading is background work: the server's page runs go first when the CPU is short
    limit = _limit_self(memory_bytes, seconds)
    _test_pause(files, seconds)
    try:
        answer = ("cohort", load_upload(files, mapping=mapping))
    except CohortError as error:
        answer = ("problems", error.problems)
    except MemoryError:
        answer = ("memory", None)
    except Exception:  # load_upload promises CohortError only; never let a traceback out
        answer = ("unexpected", UNEXPECTED)
    if answer[0] != "cohort" and limit and _peak_address_space() > limit - 2**26:
        # The readers turn a failed allocation into their own "too large"
        # problem; near the limit, say which limit it was and what to do.
        answer = ("memory", None)
    del files
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("memory", None))
    answer_out.write(data)
    answer_out.close()


def _test_pause(files, seconds: float) -> None:
    """Test hook: sleep through the time limit when a file has the name in ``OMALIZUMAB_TEST_SLOW_UPLOAD``.

    The browser tests set this variable on their own server only, so that the
    cancel button can be pressed during a reading that lasts long enough on
    any machine (a real slow file reads faster or slower from one machine to
    the next). Unset, as everywhere else, it does nothing.
    """
    name = os.environ.get("OMALIZUMAB_TEST_SLOW_UPLOAD")
    if name and any(file_name == name for file_name, _ in files):
        time.sleep(seconds + 5)


def _limit_self(memory_bytes: int, seconds: float) -> int | None:
    """Set this process's limits; return the address-space limit in bytes (None if not set)."""
    try:
        import resource
    except ImportError:  # Windows: only the wall-clock limit applies
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _address_space() + memory_bytes
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    limit = None
    if soft == resource.RLIM_INFINITY or wanted < soft:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
        limit = wanted
    # A backstop should the server die without killing the worker: CPU seconds.
    cpu = int(seconds) + 10
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft == resource.RLIM_INFINITY or cpu < soft:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))
    return limit


def _address_space() -> int:
    """The process's current virtual size in bytes (0 where /proc is absent)."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _peak_address_space() -> int:
    """The largest virtual size this process has had, in bytes (0 where /proc is absent)."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


_SPLIT = (
    "Nothing was loaded and the previously loaded cohort is still in use. Split the file: for example "
    "upload fewer patients at a time, or remove empty rows and columns and sheets the dashboard does not use, "
    "then upload it again."
)


def _names(files) -> str:
    names = [name for name, _ in files]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _time_overrun(files, seconds: float) -> Problem:
    return Problem(ERROR, None, f"The file took more than {seconds:g} s to read: {_SPLIT}", where=_names(files))


def _memory_overrun(files, memory_gb: float) -> Problem:
    return Problem(ERROR, None, f"The file took more than {memory_gb:g} GB of memory to read: {_SPLIT}", where=_names(files))


def _overrun(files, seconds: float, memory_gb: float, exitcode: int | None) -> Problem:
    if exitcode is not None and -exitcode in (getattr(signal, "SIGXCPU", 0), signal.SIGKILL):
        return _time_overrun(files, seconds)
    return _memory_overrun(files, memory_gb)


if __name__ == "__main__":
    _serve()
