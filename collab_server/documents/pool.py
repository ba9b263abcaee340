"""Worker processes for PyMuPDF work: rendering, and ingest of uploads.

Why processes and not a thread pool: PyMuPDF keeps the GIL for the whole of
a render or a save (measured: a 170 ms render in a thread stalled the event
loop for 143 ms), so threads would freeze every websocket of every meeting
while a page renders. Processes also contain the damage of a hostile PDF:
a MuPDF crash or a page that renders forever kills a worker, not the server.
A call that overruns its timeout kills the workers and fails; a call that
lost its worker to someone else's crash is retried once on fresh workers.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from collab_server.documents.errors import RenderFailed

T = TypeVar("T")
PR_SET_PDEATHSIG = 1


def _worker_init() -> None:
    # Renders are background work; the server process answering websockets
    # must win the CPU when both want it.
    os.nice(5)
    # A server killed outright (kill -9, out of memory) must not leave its
    # workers behind holding memory: they get SIGKILL when it dies.
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # it died before the line above
            os._exit(1)


def _ready() -> int:
    import PIL.Image  # noqa: F401
    import pymupdf  # noqa: F401  (the import is the warm-up)

    return os.getpid()


class WorkerPool:
    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def _current(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                # spawn, not fork: forking a process that runs an event loop
                # and threads copies their locks in whatever state they are.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
            )
        return self._executor

    async def start(self) -> None:
        """Start the workers now rather than on the first render (a spawn
        and the imports take a few hundred ms)."""
        await asyncio.gather(*(self.run(_ready, timeout=60) for _ in range(self.workers)))

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a worker; `fn` (a module-level function)
        and the arguments must pickle.

        Exceptions raised by `fn` come back as they are. RenderFailed when
        the call timed out or the worker died twice.
        """
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        for attempt in (1, 2):
            executor = self._current()
            try:
                return await asyncio.wait_for(loop.run_in_executor(executor, call), timeout)
            except TimeoutError:
                self._discard(executor, kill=True)
                raise RenderFailed(
                    "Xử lý tài liệu quá lâu nên đã dừng.",
                    "Processing the document took too long and was stopped.",
                ) from None
            except BrokenProcessPool:
                self._discard(executor, kill=False)
                if attempt == 2:
                    raise RenderFailed() from None
        raise AssertionError("unreachable")

    def _discard(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        if self._executor is executor:
            self._executor = None
        if kill:
            # The stdlib (before 3.14) cannot stop a running task; killing the
            # processes is the only way, and breaks the executor's other
            # calls, which then retry on a fresh one.
            processes = getattr(executor, "_processes", None) or {}
            for process in list(processes.values()):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
