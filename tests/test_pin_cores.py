"""The password path uses both cores: the Argon2id hash runs in a thread and
releases the GIL, so the event loop (and a second hash) runs meanwhile, and
the server hashes as many passwords at once as it has cores
(collab_server/storage/accounts.py).

Measured without relying on an idle machine: while a thread verifies
passwords, the main thread counts in pure Python and notes each 2 ms slice
of time in which it ran. Were the GIL held for a hash (~35-50 ms), the main
thread could run only between hashes: a few slices per hash. Released, it
runs in most of them."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from collab_server.storage import accounts

SLICE_S = 0.002


def _slices_run_while(work: threading.Thread) -> tuple[int, int]:
    """(slices in which the main thread ran, slices the work took)."""
    seen: set[int] = set()
    start = time.perf_counter()
    work.start()
    while work.is_alive():
        seen.add(int((time.perf_counter() - start) / SLICE_S))
    took = int((time.perf_counter() - start) / SLICE_S) + 1
    work.join()
    return len(seen), took


def test_the_hash_releases_the_gil() -> None:
    stored = accounts.hash_password("mat-khau-thu-nghiem")
    hasher = accounts._hasher

    def verify_some() -> None:
        for _ in range(8):
            hasher.verify(stored, "mat-khau-thu-nghiem")

    ran, took = _slices_run_while(threading.Thread(target=verify_some))
    print(f"argon2: main thread ran in {ran} of {took} slices")
    # Held, the main thread would run in about 8 slices of `took` (one per
    # gap between hashes); free, in nearly all of them on an idle machine
    # and in half of them on one whose other core is busy.
    assert ran > took * 0.25, (ran, took)

    def hold_the_gil() -> None:  # the measure tells apart C code that keeps the GIL
        for _ in range(4):
            sum(range(3_000_000))  # one call in C, never letting go of the GIL

    held, took_held = _slices_run_while(threading.Thread(target=hold_the_gil))
    print(f"GIL held: main thread ran in {held} of {took_held} slices")
    assert held < took_held * 0.15, (held, took_held)


def test_as_many_hashes_at_once_as_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = len(os.sched_getaffinity(0))
    stored = accounts.hash_password("mat-khau-thu-nghiem")
    real = accounts._hasher
    running = most = 0
    lock = threading.Lock()

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                return real.verify(stored, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(accounts, "_hasher", Counting())

    async def logins() -> list[bool]:
        return await asyncio.gather(*(accounts._verify(stored, "mat-khau-thu-nghiem")
                                      for _ in range(cores * 3)))

    assert all(asyncio.run(logins()))
    assert most == cores
