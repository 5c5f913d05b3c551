"""Running a class's units on Dask: an embedded local cluster, or a scheduler course staff already run.

Dask distributed is the engine because it is what a university's cluster already speaks:
`dask-jobqueue` starts its workers as SLURM, PBS or SGE jobs, `dask-kubernetes` as pods, and
`dask scheduler` / `dask worker` by hand on any machines that can reach each other (see
docs/design.md). The grader adds no scheduler of its own: it submits units, at most a few per
worker thread at a time (so a class of 1,000 notebooks is not all in memory at once), and
stores each outcome as it arrives.
"""

from __future__ import annotations

import logging
from itertools import islice
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .store import FAULT
from .task import Unit, grade_unit

Done = Callable[[Unit, dict[str, Any]], None]
_IN_FLIGHT_PER_THREAD = 2  # enough that no worker waits for the next unit


class EngineError(RuntimeError):
    """The engine could not start or be reached (a setup error: nothing was graded)."""


@contextmanager
def dask_client(jobs: int, cluster: str | None) -> Iterator[Any]:
    """A client of the scheduler at `cluster`, else of an embedded cluster of `jobs` one-thread worker processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("grading a class needs Dask: pip install 'keras-course[class]'.") from None
    if cluster:
        try:
            client = Client(cluster, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise EngineError(f"cannot reach the Dask scheduler at {cluster}: {error}.") from None
        with client:
            yield client
        return
    # memory_limit=0: the sandbox limits each learner's process; a worker's own memory is small.
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0, silence_logs=logging.ERROR) as local, Client(local) as client:
        yield client


def run_units(client: Any, units: list[Unit], on_done: Done) -> None:
    """Grade every unit on `client`'s workers, calling `on_done(unit, outcome)` as each finishes."""
    from distributed import as_completed

    client.wait_for_workers(1, timeout=120)
    waiting = iter(units)
    threads = max(1, sum(client.nthreads().values()))
    by_key: dict[str, Unit] = {}

    def submit(unit: Unit) -> Any:
        future = client.submit(grade_unit, unit, pure=False, retries=0)
        by_key[future.key] = unit
        return future

    running = as_completed([submit(unit) for unit in islice(waiting, threads * _IN_FLIGHT_PER_THREAD)])
    for future in running:
        unit = by_key.pop(future.key)
        on_done(unit, _outcome(future))
        following = next(waiting, None)
        if following is not None:
            running.add(submit(following))


def _outcome(future: Any) -> dict[str, Any]:
    """The unit's outcome, or a grader fault when its worker died or the task failed."""
    try:
        outcome: dict[str, Any] = future.result()
        return outcome
    except Exception as error:  # KilledWorker, a lost connection: the machine's fault, not the student's
        return {"outcome": FAULT, "message": f"the engine lost this grading: {type(error).__name__}: {error}",
                "report": None, "duration_s": 0.0}
