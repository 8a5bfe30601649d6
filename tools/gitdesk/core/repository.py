"""The repository aggregate: every record of a data repository, the problems found, and its prepared rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Optional

from gitdesk.core.errors import Problem
from gitdesk.core.model import Adjustment, Customer, IssuedStatement, Plan, Provider, Ticket
from gitdesk.core.rules import Rules

if TYPE_CHECKING:
    from os import PathLike

#: Where each kind of record lives in a data repository.
PROVIDER = "contracts/provider.yaml"
PLANS = "contracts/plans"
CUSTOMERS = "contracts/customers"
TICKETS = "tickets"
STATEMENTS = "statements"
ADJUSTMENTS = "statements/adjustments"


@dataclass(frozen=True)
class Repository:
    """Everything a data repository holds, validated, with the problems found.

    ``rules`` are prepared from the provider and the plans when the aggregate
    is made (see :class:`gitdesk.core.rules.Rules`).
    """

    root: "PathLike[str]"
    provider: Optional[Provider]
    plans: Mapping[str, Plan]
    customers: Mapping[str, Customer]
    tickets: Mapping[str, Ticket]
    problems: tuple[Problem, ...] = ()
    digest: str = ""
    #: Files whose record failed validation and was kept, in part, for cross-file checks only.
    partial: frozenset[str] = frozenset()
    #: Per ticket id, its SLA at the moment the load was asked to evaluate, a TicketSla (or what the request
    #: asked to make of it: see :class:`gitdesk.load.request.Evaluate`).
    sla: Mapping[str, Any] = field(default_factory=dict)
    #: Tickets read (also when they were not kept in memory).
    ticket_count: int = 0
    #: Issued statements by number, and corrections of them by id.
    issued: Mapping[str, IssuedStatement] = field(default_factory=dict)
    adjustments: Mapping[str, Adjustment] = field(default_factory=dict)
    #: Per customer, the charges of every intervention priced by the load.
    works: Mapping[str, tuple] = field(default_factory=dict)
    rules: Rules = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.rules is None:
            object.__setattr__(self, "rules", Rules(self.provider, self.plans))

    @property
    def tz(self) -> dt.tzinfo:
        """The provider's time zone (UTC while the provider file is broken)."""
        return self.rules.tz

    @property
    def team_ids(self) -> frozenset[str]:
        return self.rules.team

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")
