"""The rules a repository's contracts set, prepared once: working calendars and each plan's clocks per priority."""

from __future__ import annotations

import datetime as dt
from typing import Mapping, NamedTuple, Optional

from gitdesk.core.calendar import WorkCalendar
from gitdesk.core.model import Plan, Priority, Provider


class Clocks(NamedTuple):
    """What the SLA clocks of one plan and priority need: prepared once, asked by every ticket."""

    calendar: WorkCalendar
    targets: tuple  # ((kind, duration), ...) in the format's order
    late: object  # the priority's late-arrival rule
    top_late: object  # the top priority's, for repeat visits
    repeat: Optional[dt.timedelta]  # the repeat visit's target (None: no repeat target)
    remote_counts: bool


class Rules:
    """The provider's zone, team and calendars, and each plan's clocks by priority.

    Prepared from the provider and the plans when a repository is put
    together; nothing here changes afterwards (a working calendar remembers
    the days it has worked out, which never changes its answers).
    """

    def __init__(self, provider: Optional[Provider], plans: Mapping[str, Plan]):
        self.tz: dt.tzinfo = provider.tz if provider is not None else dt.timezone.utc
        self.team: frozenset[str] = frozenset(m.id for m in provider.team) if provider is not None else frozenset()
        self.calendars: dict[str, WorkCalendar] = {
            name: WorkCalendar.of(cal, self.tz) for name, cal in (provider.calendars.items() if provider is not None else ())
        }
        self._clocks: dict[tuple[str, str], Clocks] = {}
        for plan_id, plan in plans.items():
            calendar = self.calendars.get(plan.calendar)
            if calendar is None:
                continue  # an unknown calendar: reported by the checks, no clocks run
            top = plan.priorities[plan.top_priority]
            for name, chosen in plan.priorities.items():
                self._clocks[plan_id, name] = Clocks(calendar, tuple(chosen.targets.items()), chosen.late, top.late,
                                                     repeat_target(top), plan.remote_counts_as_onsite)

    def clocks(self, plan_id: str, priority: str) -> Optional[Clocks]:
        """The clocks of ``priority`` in plan ``plan_id`` (None when the plan, priority or calendar is missing)."""
        return self._clocks.get((plan_id, priority))

    def calendar(self, name: str) -> Optional[WorkCalendar]:
        return self.calendars.get(name)


def repeat_target(top: Priority) -> Optional[dt.timedelta]:
    """The repeat visit's target: the top priority's ``onsite`` target, or its first target."""
    if top.targets.onsite is not None:
        return top.targets.onsite
    items = top.targets.items()
    return items[0][1] if items else None
