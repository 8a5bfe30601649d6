"""Which terms apply to a customer on a day: its contract, or the default plan."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, NamedTuple, Optional

from gitdesk.core.model import Contract, Customer, Plan, Rates

if TYPE_CHECKING:
    from gitdesk.core.repository import Repository


class Terms(NamedTuple):
    """The plan in force, the contract that brings it (None: on demand), and its rates.

    A named tuple: every ticket asks for its terms, and a tuple is the cheapest record to make.
    """

    plan_id: str
    plan: Optional[Plan]
    contract: Optional[Contract]

    @property
    def rates(self) -> Optional[Rates]:
        """The plan's rates with the contract's negotiated changes."""
        if self.plan is None:
            return None
        changes = self.contract.rates.model_dump(exclude_none=True) if self.contract is not None else {}
        return self.plan.rates.model_copy(update=changes) if changes else self.plan.rates

    @property
    def ask_before_parts(self) -> bool:
        return bool(self.contract and self.contract.ask_before_parts)


def terms_on(repo: "Repository", customer: Optional[Customer], day: dt.date) -> Terms:
    """The terms of ``customer`` on ``day`` (the default plan where no contract covers it)."""
    contract = customer.contract_on(day) if customer is not None else None
    if contract is not None:
        return Terms(contract.plan, repo.plans.get(contract.plan), contract)
    default = repo.provider.default_plan if repo.provider is not None else ""
    return Terms(default, repo.plans.get(default), None)
