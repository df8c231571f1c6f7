"""The customer card: who wrote, their orders and delivery status, and their earlier tickets."""

from __future__ import annotations

from dataclasses import dataclass, field

from responders.models import Ticket
from store.models import Customer, Order


@dataclass
class CustomerCard:
    customer: Customer | None
    orders: list[Order] = field(default_factory=list)
    previous_tickets: list[Ticket] = field(default_factory=list)

    @property
    def sentiment_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.previous_tickets:
            out[t.sentiment or "unknown"] = out.get(t.sentiment or "unknown", 0) + 1
        return out


def customer_card(ticket: Ticket, max_orders: int = 10, max_tickets: int = 20) -> CustomerCard:
    """Build the card from the ticket's linked orders: their customer, orders (newest first), other tickets."""
    links = list(ticket.order_links.select_related("order", "order__customer"))
    customer = next((link.order.customer for link in links if link.order.customer_id), None)
    if customer is None:
        return CustomerCard(None, [link.order for link in links])
    orders = list(customer.orders.order_by("-created_at")[:max_orders])
    previous = list(
        Ticket.objects.filter(order_links__order__customer=customer).exclude(pk=ticket.pk).distinct()
        .select_related("mention").order_by("-opened_at")[:max_tickets]
    )
    return CustomerCard(customer, orders, previous)
