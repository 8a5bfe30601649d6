"""What a command asks of a load besides the records and problems: as data, never as code.

A load always reads and checks everything. On top of that a command may ask
for facts that are cheapest to compute where each ticket is read (in the
worker processes of a large repository), and say whether it looks at the
ticket records at all:

- ``evaluate``: the SLA of tickets at one moment (:class:`Evaluate`), back in
  ``Repository.sla`` by ticket id;
- ``price``: the charges of tickets' interventions (:class:`Price`), back in
  ``Repository.works`` by customer. Customers with issued statements are
  always priced: their figures are checked against what was issued;
- ``tickets``: whether the ticket records come back in ``Repository.tickets``.
  A command that needs only counts, problems and the facts above says no:
  100,000 records then neither travel back from the workers nor stay in memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Optional

from gitdesk.core.model import Ticket
from gitdesk.core.scalars import month_of


@dataclass(frozen=True)
class Evaluate:
    """Evaluate the SLA at ``at`` of every ticket, or of one customer's, or of those reported in one month."""

    at: dt.datetime
    customer: Optional[str] = None
    month: Optional[str] = None  # 'YYYY-MM', in the provider's time zone
    #: What comes back of each evaluated ticket: its TicketSla (None), or what ``shape(ticket_sla)`` makes of it
    #: where the ticket was evaluated. A command that only prints rows asks for them: 100,000 rows of text
    #: cross back from the workers cheaper than the results they are made of.
    shape: Optional[Callable[[Any], Any]] = None

    def wants(self, ticket: Ticket, tz: dt.tzinfo) -> bool:
        if self.customer is not None and ticket.customer != self.customer:
            return False
        return self.month is None or month_of(ticket.reported.astimezone(tz)) == self.month


@dataclass(frozen=True)
class Price:
    """Price every ticket (no month), or those the statements of ``month`` need.

    A month's statement needs its month's work and, for a customer with
    prepaid packages, the work of the months before (to know what is left of
    them); ``customer`` narrows it to one customer's statement.
    """

    month: Optional[str] = None
    customer: Optional[str] = None

    def wants(self, ticket: Ticket, tz: dt.tzinfo, packaged: bool) -> bool:
        """Whether the ticket is priced; ``packaged``: whether its customer buys prepaid packages."""
        if self.month is None:
            return True
        if self.customer is not None and ticket.customer != self.customer:
            return False
        for work in ticket.interventions:
            worked = month_of(work.start.astimezone(tz))
            if worked == self.month or (packaged and worked < self.month):
                return True
        return False


#: Price every ticket.
EVERY_TICKET = Price()


@dataclass(frozen=True)
class Request:
    """What a load computes and keeps besides records and problems (see the module's docstring).

    ``Request()`` keeps the tickets and computes nothing more (but the
    charges the lock on issued statements needs).
    """

    tickets: bool = True
    evaluate: Optional[Evaluate] = None
    price: Optional[Price] = None
