"""Sweeps on a Dask cluster: :class:`DaskExecutor`, the executor protocol over ``dask.distributed``.

Each job becomes one Dask task on a worker process (``threads_per_worker=1``), which runs the
cell with :func:`toyscope.runs.execute` into its run folder under the sweep's folder, exactly as a
local pool would; the folder must therefore be on a filesystem every worker sees, and
:meth:`DaskExecutor.check_folder` refuses one that a worker cannot read and write. Nothing of the
executor is saved with a run: it is how a run is carried out, not part of its config.

Worker processes live across cells. A cell sets what it depends on itself: x64 through
:func:`toyscope.runs.precision_scope` (a context, restored after the cell), host devices once per
process before JAX starts (:func:`toyscope.configure_host_devices`); compiled programs are cached
per shape and dtype, never per cell.

Faults. A worker that dies mid-cell loses its task to the scheduler, which runs it again on
another worker (up to the scheduler's ``distributed.scheduler.allowed-failures`` deaths); the new
try resumes the cell's ``.partial`` folder, whose lock names a dead process: on the same host it
is taken over at once, elsewhere once its heartbeat is a minute old (a try that finds the lock
held waits that long before giving up). A cell that raises is retried ``retries`` times; one
that fails every try is yielded as an :class:`ItemFailed`, so that the other cells finish.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self

from .._host import configure_host_devices
from .._progress import progress_bar
from .._version import __version__
from ._executors import ExecutorError, ItemFailed
from ._lock import HEARTBEAT_S, STALE_AFTER_S, RunFolderLocked

INSTALL = "pip install 'toyscope[dask]'"
CONNECT_TIMEOUT_S = 5.0  # a scheduler that does not answer within this is reported as unreachable
WORKER_WAIT_S = 120.0  # how long a cluster without workers (e.g. SLURM jobs still queued) is waited for
LOCK_WAIT_S = STALE_AFTER_S + 2 * HEARTBEAT_S  # a dead worker's lock on another host goes stale within this


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ExecutorError(f"--executor dask needs dask.distributed, which is not installed: {INSTALL}") from None
    return distributed


def _one_line(err: BaseException, limit: int = 300) -> str:
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class DaskExecutor:
    """Runs jobs as tasks on a Dask cluster: a new ``LocalCluster`` of ``workers`` processes (one
    per core by default) or the running cluster whose scheduler is at ``scheduler``.

    Use it as a context manager (``with DaskExecutor(2) as executor: ...``) to start the cluster
    or connect once for several sweeps; otherwise :meth:`map` starts and closes it itself.

    Args:
        workers: worker processes of the local cluster (default ``os.cpu_count()``); not with
            ``scheduler``.
        scheduler: address of a running scheduler, ``tcp://HOST:PORT``.
        retries: how many more times a job that raised is tried (on any worker).
        connect_timeout: seconds to wait for the scheduler to answer.

    Raises:
        ValueError: ``workers`` < 1, ``retries`` < 0, or both ``workers`` and ``scheduler``.

    Example:
        >>> from toyscope.runs import DaskExecutor
        >>> with DaskExecutor(1) as executor:                     # doctest: +SKIP
        ...     list(executor.map(abs, [-1, -2]))
        [1, 2]
    """

    #: :func:`toyscope.runs.sweep_cells` lets this executor draw the bar (it knows the workers)
    reports_progress = True

    def __init__(self, workers: int | None = None, *, scheduler: str | None = None, retries: int = 2,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if workers is not None and scheduler is not None:
            raise ValueError("workers is the size of a new local cluster; a running cluster at scheduler has its own")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if scheduler is not None and not scheduler.strip():
            raise ValueError("scheduler must be an address like tcp://HOST:PORT, got an empty string")
        self.workers, self.scheduler, self.retries = workers, scheduler, retries
        self.connect_timeout = connect_timeout
        self._client = self._cluster = None
        self._implicit = False  # started by check_folder or map, so map closes it
        self._folder: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the local cluster, or connect to the scheduler (idempotent).

        Raises:
            ExecutorError: dask.distributed is not installed, or the scheduler does not answer
                within ``connect_timeout`` (one line naming the address).
        """
        if self._client is not None:
            return self
        distributed = _distributed()
        if self.scheduler is not None:
            self._check_reachable()  # before a Client exists: a failed one lingers and stalls the exit
            try:
                self._client = distributed.Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            except Exception as err:  # noqa: BLE001 - whatever answers there is not a scheduler we can use
                what = "no answer" if isinstance(err, (OSError, TimeoutError)) else "not a Dask scheduler"
                raise ExecutorError(f"cannot reach a Dask scheduler at {self.scheduler} ({what} within "
                                    f"{self.connect_timeout:g} s: {_one_line(err, 120)})") from None
        else:
            # one single-threaded process per worker, no memory cap of Dask's own (the study's
            # size guard applies, as in the local pool), the dashboard on any free port
            self._cluster = distributed.LocalCluster(
                n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=":0", memory_limit=0, silence_logs=logging.ERROR)
            self._client = distributed.Client(self._cluster, set_as_default=False)
        return self

    def _check_reachable(self) -> None:
        """A TCP connection to the scheduler's host and port within ``connect_timeout``.

        Raises:
            ExecutorError: the address is malformed, or nothing answers there.
        """
        from distributed.comm.addressing import get_address_host_port, parse_address

        try:
            scheme, _ = parse_address(self.scheduler)
            host, port = get_address_host_port(self.scheduler) if scheme in ("tcp", "tls") else (None, None)
        except ValueError as err:
            raise ExecutorError(f"{self.scheduler!r} is not a Dask scheduler address ({_one_line(err)}); "
                                "give tcp://HOST:PORT") from None
        if host is None:
            return  # another transport: the Client's own timeout applies
        try:
            socket.create_connection((host, port), timeout=self.connect_timeout).close()
        except OSError as err:
            reason = "no answer" if isinstance(err, TimeoutError) else (err.strerror or type(err).__name__).lower()
            raise ExecutorError(f"cannot reach a Dask scheduler at {self.scheduler} ({reason} within "
                                f"{self.connect_timeout:g} s); start one or check the address") from None

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started one."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        self._implicit = False
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _started(self):
        if self._client is None:
            self.start()
            self._implicit = True
        return self._client

    @property
    def address(self) -> str:
        """The scheduler's address (``tcp://HOST:PORT``)."""
        return self._started().scheduler.address

    @property
    def dashboard(self) -> str | None:
        """The dashboard's URL, or None when it cannot be served (bokeh missing at the scheduler)."""
        client = self._started()
        bokeh = (importlib.util.find_spec("bokeh") is not None if self._cluster is not None
                 else client.run_on_scheduler(_has_bokeh))
        return client.dashboard_link if bokeh else None

    def describe(self) -> str:
        """One line: the scheduler, its worker count and the dashboard (or why there is none)."""
        n_workers = len(self._started().nthreads())
        kind = "local Dask cluster" if self._cluster is not None else "Dask cluster"
        link = self.dashboard
        board = f"dashboard {link}" if link else "no dashboard (bokeh is not installed where the scheduler runs)"
        return f"{kind} at {self.address}, {n_workers} workers; {board}"

    # -- the executor protocol ------------------------------------------------------------------

    def check_folder(self, folder: Path) -> None:
        """Every worker reads a file this process wrote into ``folder`` and writes one back, and
        runs this toyscope version; the files are removed again.

        Raises:
            ExecutorError: the cluster has no worker after :data:`WORKER_WAIT_S`, or a worker
                cannot see or write ``folder``, or runs another toyscope (one line naming it).
        """
        client = self._started()
        try:
            self._check_folder(client, Path(folder))
        except BaseException:
            if self._implicit:  # map, which would close it, is not going to run
                self.close()
            raise

    def _check_folder(self, client, folder: Path) -> None:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            raise ExecutorError(f"the Dask cluster at {self.address} has no workers (waited {WORKER_WAIT_S:g} s)") from None
        token = uuid.uuid4().hex
        probe = folder / f".toyscope-probe-{token}"
        probe.write_text(token)
        answers = {}
        try:
            answers = client.run(_probe_folder, str(folder), token, __version__)
            for worker, (problem, written) in sorted(answers.items()):
                if not problem and (folder / written).is_file() and (folder / written).read_text() == token:
                    continue
                problem = problem or f"what it wrote into {folder} does not reach this machine"
                raise ExecutorError(f"Dask worker {worker} cannot use the sweep folder: {problem}; put --out on a "
                                    "filesystem every worker sees")
        finally:
            probe.unlink(missing_ok=True)
            for _, written in answers.values():
                if written:
                    (folder / written).unlink(missing_ok=True)
        self._folder = str(folder)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], *, labels: Sequence[str] | None = None,
            description: str | None = None) -> Iterator[Any]:
        """``fn(item)`` for every item as Dask tasks; the results in order, each as soon as it and
        those before it are done, and :class:`ItemFailed` for an item that failed every try.

        A bar (``description``) counts the finished items and prints, for each, its label and
        the worker that ran it. An interrupt cancels the tasks not yet finished.
        """
        labels = list(labels) if labels is not None else [str(i) for i in range(len(items))]
        try:
            yield from self._map(fn, list(items), labels, description)
        finally:
            if self._implicit:
                self.close()

    def _map(self, fn, items, labels, description):
        distributed = _distributed()
        client = self._started()
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(_on_worker, fn, item, self._folder, key=f"toyscope-{label}-{run}-{i}",
                                 pure=False, retries=self.retries)
                   for i, (item, label) in enumerate(zip(items, labels))]
        index = {future.key: i for i, future in enumerate(futures)}
        results, next_index = {}, 0
        try:
            with progress_bar(description, len(futures)) as bar:
                for future in distributed.as_completed(futures, loop=client.loop):
                    i = index[future.key]
                    if future.status == "finished":
                        results[i], worker, seconds = future.result()
                        bar.note(f"{labels[i]}: done on {worker} in {seconds:.1f} s")
                    else:
                        try:
                            error = future.exception()
                        except BaseException as err:  # noqa: BLE001 - cancelled (e.g. the scheduler restarted)
                            error = err
                        if isinstance(error, distributed.KilledWorker):
                            message = (f"KilledWorker: every worker that ran it died ({error.allowed_failures + 1} "
                                       f"times, last {error.last_worker.address})")
                        else:
                            message = _one_line(error)
                        results[i] = ItemFailed(message)
                        bar.note(f"{labels[i]}: FAILED ({message})")
                    bar.advance()
                    while next_index in results:
                        yield results.pop(next_index)
                        next_index += 1
        except KeyboardInterrupt:
            # the interrupted wait makes Dask's event loop log errors of its own: the interrupt
            # is reported by the caller, in one line
            for name in ("distributed", "tornado.application"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
            raise
        finally:
            unfinished = [f for f in futures if not f.done()]
            if unfinished:
                client.cancel(unfinished)


def _has_bokeh() -> bool:
    return importlib.util.find_spec("bokeh") is not None


def _worker_label() -> str:
    from distributed import get_worker

    worker = get_worker()
    return f"{worker.address} (pid {os.getpid()})"


def _on_worker(fn, item, folder: str | None):
    """Run ``fn(item)`` in a worker: host devices first (before JAX starts in this process), a
    worker that cannot see the sweep folder refuses, and a cell folder locked by another process
    is tried again until that lock is released or goes stale. Returns ``(result, worker, s)``."""
    configure_host_devices()
    worker = _worker_label()
    if folder is not None and not os.path.isdir(folder):
        raise ExecutorError(f"Dask worker {worker} on {socket.gethostname()} does not see the sweep folder {folder}; "
                            "put --out on a filesystem every worker sees")
    started = time.monotonic()
    while True:
        try:
            result = fn(item)
        except RunFolderLocked:
            if time.monotonic() - started > LOCK_WAIT_S:
                raise
            time.sleep(HEARTBEAT_S / 2)
            continue
        return result, worker, time.monotonic() - started


def _probe_folder(folder: str, token: str, version: str) -> tuple[str, str]:
    """On a worker: ``("", name of the file written)``, or ``(problem, "")``."""
    from .._version import __version__ as here

    if here != version:
        return f"it runs toyscope {here}, this process {version}", ""
    path = Path(folder)
    if not path.is_dir():
        return f"{folder} is not a folder there", ""
    try:
        seen = (path / f".toyscope-probe-{token}").read_text()
    except OSError:
        seen = None
    if seen != token:
        return f"{folder} there is another folder (it lacks the file this process wrote)", ""
    name = f".toyscope-probe-{token}-{uuid.uuid4().hex[:8]}"
    try:
        (path / name).write_text(token)
    except OSError as err:
        return f"it cannot write into {folder} ({err.strerror or err})", ""
    return "", name
