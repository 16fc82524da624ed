"""Checks a study makes before any fitting: its output folder and its dask scheduler.

A study takes minutes; a mistake in ``--out`` or ``--scheduler`` must be
reported before that work, not after it. Each check raises
:class:`StudyUsageError` with a one-line message naming the option.
"""

import json
import os
import socket
import struct
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: Files every study writes; an earlier study's results.json lists its own.
STUDY_FILES = ("report.md", "results.json", "loss_curves.png", "learning_curves.png",
               "bias_variance.png", "decision_boundaries.png")
#: Seconds to wait for a scheduler to accept a connection and greet.
SCHEDULER_TIMEOUT = 5.0
#: A dask handshake is a few kB; a length beyond this is not dask speaking.
_MAX_HANDSHAKE = 1 << 24


class StudyUsageError(ValueError):
    """A study option that cannot work; the CLI prints it in one line, exit 2."""


def _earlier_study_files(folder):
    """The files an earlier study wrote in ``folder``, or None if it holds none."""
    record = folder / "results.json"
    try:
        payload = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or "sknn_scratch_version" not in payload:
        return None
    files = payload.get("files", STUDY_FILES)
    if not isinstance(files, list | tuple) or not all(isinstance(f, str) for f in files):
        return None
    # only plain names inside the folder: a record must not delete elsewhere; and
    # every name a study writes (a study that failed while writing left its new
    # files beside the earlier record, which does not list them)
    names = dict.fromkeys([*(n for n in files if Path(n).name == n), *STUDY_FILES])
    names.pop("results.json", None)
    return [folder / name for name in names] + [record]


def _not_a_file(path):
    """True if ``path`` exists (or is a dangling link) and is not a regular file."""
    return (path.exists() or path.is_symlink()) and not (
        path.is_file() and not path.is_symlink())


def check_out_folder(text):
    """Check ``--out`` before the work: a writable folder, empty or an earlier study's.

    Nothing is created: :func:`make_out_folder` makes the folder once there are
    results to write.

    Parameters
    ----------
    text : str
        The ``--out`` argument.

    Returns
    -------
    folder : Path
    stale : list of Path
        An earlier study's files in the folder, to delete with
        :func:`clear_earlier_study` just before the new files are written.
    """
    if not text.strip():
        raise StudyUsageError("--out is empty: give the folder to write the study to, "
                              "e.g. --out sknn-study")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise StudyUsageError(f"--out {text}: '{folder}' exists and is not a folder")
    stale = []
    if folder.is_dir() and any(folder.iterdir()):
        stale = _earlier_study_files(folder)
        if stale is None:
            raise StudyUsageError(
                f"--out {text}: the folder is not empty and holds no earlier study "
                "(no sknn-scratch results.json); give an empty or new folder")
    # a study file that is a folder, a link or a device would fail only after
    # the fitting, when it is replaced or written
    for path in (*stale, *(folder / name for name in STUDY_FILES)):
        if _not_a_file(path):
            raise StudyUsageError(
                f"--out {text}: '{path.name}' there is not a file (a folder, link or "
                "other); the study writes a file of that name: remove or rename it")
    # a failed study leaves nothing behind: the folder is made only when the
    # results are written (:func:`make_out_folder`); here its nearest existing
    # ancestor must take a file
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "a parent is not a folder")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StudyUsageError(f"--out {text}: cannot write to this folder ({reason})") \
            from None
    return folder, [path for path in stale if path.exists()]


def make_out_folder(folder):
    """Create the checked ``--out`` folder (and its parents) to write results in."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def clear_earlier_study(stale):
    """Delete an earlier study's files (from :func:`check_out_folder`), all but
    its results.json: the new study's record replaces it (:func:`write_record`)
    once every other file is written, so a study that fails while writing
    leaves a folder that is still an earlier study's."""
    for path in stale:
        if path.name != "results.json":
            path.unlink(missing_ok=True)


def write_record(path, payload):
    """Write results.json atomically (a temporary file, then a rename): the last
    file a study writes, the record that makes its folder an earlier study."""
    path = Path(path)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                     prefix=".results-", suffix=".json",
                                     delete=False) as tmp:
        tmp.write(json.dumps(payload, indent=2) + "\n")
    try:
        os.replace(tmp.name, path)
    except OSError:
        os.unlink(tmp.name)
        raise


def _host_port(address):
    """``(host, port)`` of a ``tcp://`` or bare ``host:port`` address, else None."""
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":
        return None  # tls://, ws://, inproc://...: only dask's own connect tells
    return parse_host_port(location)


def check_scheduler(address, timeout=None):
    """Check that a dask.distributed scheduler answers at ``address``, within ``timeout``.

    A dask server speaks first: on each new connection it sends its handshake,
    an 8-byte length and then that many bytes. Anything else (no answer, an
    HTTP server waiting for a request, an SSH banner, a closed port) is not a
    scheduler, and is reported in one line instead of a hang or a traceback.
    Then (every scheme: tcp://, tls://, ws://, ...) dask's own ``connect`` must
    open a connection there, as the search's ``Client`` will.
    ``'local'`` (a LocalCluster started here) needs no check. ``timeout``
    defaults to :data:`SCHEDULER_TIMEOUT` seconds.
    """
    if address == "local":
        return
    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise StudyUsageError("--scheduler needs dask.distributed: "
                              "pip install 'sknn-scratch[dask]'") from None
    try:
        parsed = _host_port(address)
    except ValueError as exc:
        raise StudyUsageError(f"--scheduler {address}: not an address ({exc})") from None
    if parsed is not None:
        _check_greeting(address, *parsed, timeout)
    _connect(address, timeout)


def _connect(address, timeout):
    """Open (and close) a dask connection to ``address``, as the search's Client
    will: any scheme dask knows (tls:// with the configured security), any failure
    in one line. dask's ``connect`` bounds opening the connection by ``timeout``
    but not its read of the server's handshake: a server that accepts and never
    answers is cut off ``timeout`` seconds later still."""
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    async def greet():
        comm = await connect(address, timeout=timeout,
                             **Security().get_connection_args("client"))
        await comm.close()

    try:  # in a thread of its own: the caller may already run an event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, asyncio.wait_for(greet(), 2 * timeout)).result()
    except asyncio.TimeoutError:  # the handshake's read (connect's is an OSError);
        # asyncio's class is the builtin TimeoutError from 3.11, its own on 3.10
        raise StudyUsageError(
            f"--scheduler {address}: no dask scheduler answered within {2 * timeout:g} s "
            "(something accepted the connection but sent no dask handshake)") from None
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise StudyUsageError(f"--scheduler {address}: cannot connect to a dask "
                              f"scheduler there ({reason})") from None


def _check_greeting(address, host, port, timeout):
    """Has a tcp:// server at ``host:port`` greet as dask does, within ``timeout``."""
    where = f"--scheduler {address}"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            head = _receive(sock, 8)
            (length,) = struct.unpack("<Q", head)
            if not 0 < length <= _MAX_HANDSHAKE:
                raise StudyUsageError(
                    f"{where}: the server there is not a dask scheduler (its first "
                    f"bytes {head!r} are not a dask handshake)")
            _receive(sock, length)
    except TimeoutError:
        raise StudyUsageError(
            f"{where}: no dask scheduler answered within {timeout:g} s (something "
            "accepted the connection but did not greet as dask does)") from None
    except ConnectionError as exc:
        raise StudyUsageError(f"{where}: the connection was refused or closed "
                              f"({exc.strerror or type(exc).__name__})") from None
    except OSError as exc:
        raise StudyUsageError(f"{where}: cannot connect "
                              f"({exc.strerror or type(exc).__name__})") from None


def _receive(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError(0, "the server closed the connection")
        data += chunk
    return data
