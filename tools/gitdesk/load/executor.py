"""Map a function over many items in forked worker processes, results in order as batches finish.

One interface for the work that spreads over the cores: the loader's
tickets (read, check, evaluate and price each file), a command's rows after
a load, the portal's sites. ``work`` takes a batch of items and gives one
result per item; the caller gets the results one at a time, in the items'
order, while the workers go on with later batches.

Workers are forked, so ``work`` and the items are inherited, never sent:
``work`` may be a closure over anything the process holds (a repository of
100,000 records costs nothing to hand over). Only the results cross back,
and they cross as plain tuples: a named tuple is turned into a plain one in
the worker, since unpickling a named tuple calls into Python for each one
and a plain tuple is rebuilt in C. Callers read results by position, so a
result looks the same whether it came from a worker or from this process.

Below ``threshold`` items, with one job, or where the system cannot fork,
the work runs here, in batches all the same: starting workers costs more
than a little work.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, ContextManager, Iterator, Optional, Sequence, TypeVar

T = TypeVar("T")

#: The work and items of the running map, set before the workers fork (inherited, never pickled).
_JOB: dict[str, Any] = {}


def workers_for(jobs: Optional[int]) -> int:
    """Worker processes to use: ``jobs`` when given, else one per core."""
    return jobs if jobs is not None else (os.cpu_count() or 1)


def batch_size(count: int, jobs: Optional[int], smallest: int = 250, largest: int = 2000) -> int:
    """Items a worker takes at a time: enough to make sending them cheap, few enough to share out evenly."""
    return max(smallest, min(largest, count // (workers_for(jobs) * 6)))


def batches(count: int, size: int, workers: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each batch: ``size`` items, then smaller and smaller towards the
    end, so that no worker is left with a whole batch to do while the others wait."""
    bounds, start = [], 0
    smallest = min(50, size)
    while start < count:
        left = count - start
        step = size if left > 2 * workers * size else max(smallest, min(size, -(-left // (2 * workers))))
        bounds.append((start, min(count, start + step)))
        start += step
    return bounds


def run(
    work: Callable[[Sequence[T]], Sequence[Any]],
    items: Sequence[T],
    *,
    jobs: Optional[int] = None,
    threshold: int = 2,
    size: int = 1,
    progress: Optional[Callable[[int], None]] = None,
    alongside: Optional[ContextManager] = None,
) -> Iterator[Any]:
    """Each item's result of ``work``, in the items' order.

    ``work(batch)`` returns one result per item of the batch. With at least
    ``threshold`` items and more than one worker, batches of about ``size``
    items run in forked workers; an exception raised there is raised here.
    ``progress`` is called with the number of items of each batch done.
    ``alongside`` is a context entered while the workers run, once they are
    forked (threads, for one, must not be forked along).
    """
    workers = min(workers_for(jobs), len(items))
    if len(items) < threshold or workers < 2 or not hasattr(os, "fork"):
        yield from _here(work, items, size, progress, alongside)
    else:
        yield from _forked(work, items, workers, size, progress, alongside)


def _here(work, items, size, progress, alongside) -> Iterator[Any]:
    with alongside or contextlib.nullcontext():
        for start in range(0, len(items), size):
            results = work(items[start : start + size])
            if progress:
                progress(len(results))
            yield from results


def _forked(work, items, workers, size, progress, alongside) -> Iterator[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = batches(len(items), size, workers)
    _JOB.update(work=work, items=items)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_batch, a, b) for a, b in bounds]
            with alongside or contextlib.nullcontext():
                for (a, b), future in zip(bounds, futures):
                    results = future.result()
                    if progress:
                        progress(b - a)
                    yield from results
    finally:
        _JOB.clear()


def _batch(start: int, stop: int) -> list:
    """One batch in a worker: its results as plain tuples (see the module's docstring)."""
    return [tuple(r) if isinstance(r, tuple) else r for r in _JOB["work"](_JOB["items"][start:stop])]
