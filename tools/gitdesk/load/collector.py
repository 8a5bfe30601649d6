"""The cycle collector paused while a load builds records, and what it built frozen when there is much of it."""

from __future__ import annotations

import gc


class CollectorPaused:
    """A context in which Python's cycle collector does not run.

    Loading makes millions of small objects and no reference cycles; the
    collector would walk the growing heap again and again (a third of the
    time of a large load) and find nothing. Memory is freed as usual by
    reference counting.

    Set ``freeze`` before leaving to move everything built out of the
    collector's sight (``gc.freeze``) when it is back on: a large
    repository's records live as long as the command, and the collector's
    next passes would otherwise walk all of them without ever finding
    garbage among them. Frozen objects are still freed when no longer
    referenced; only a cycle among them would stay, and records make none.
    """

    def __init__(self) -> None:
        self.freeze = False
        self._enabled = False

    def __enter__(self) -> "CollectorPaused":
        self._enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc) -> None:
        if self.freeze:
            gc.freeze()
        if self._enabled:
            gc.enable()
