"""One rule for changing a ticket (labels, order links, close, reopen): its holder, or a lead; in the history."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from responders.models import TicketEvent, TicketOrderLink
from responders.services import workflow as wf
from responders.services.corrections import correct
from responders.services.orders import link_manually, unlink
from responders.services.workflow import ClaimConflict
from store.models import Customer, Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db):
    c = Customer.objects.create(external_id="C1", name="Ольга Петрова")
    return Order.objects.create(order_number="40020000", customer=c, created_at=timezone.now())


def test_only_the_holder_or_a_lead_changes_labels_orders_and_closes(open_ticket, make_user, order):
    ann, bob, lena = make_user("ann"), make_user("bob"), make_user("lena", role="lead")
    t = open_ticket()
    wf.claim(t.pk, ann)
    for action in (lambda u: correct(t.pk, u, sentiment="neutral", topics=["tracking"]),
                   lambda u: link_manually(t.pk, "40020000", u),
                   lambda u: wf.close(t.pk, u, reason="дубль")):
        with pytest.raises(ClaimConflict, match="в работе у ann"):
            action(bob)
    assert not TicketOrderLink.objects.exists() and t.mention.current_classification.corrected_by is None
    link = link_manually(t.pk, "40020000", ann)
    with pytest.raises(ClaimConflict):
        unlink(link.pk, bob)
    correct(t.pk, lena, sentiment="neutral", topics=["tracking"])  # a lead may
    unlink(link.pk, lena)
    notes = list(TicketEvent.objects.filter(ticket=t).values_list("note", flat=True))
    assert "привязан заказ 40020000" in notes and "отвязан заказ 40020000" in notes
    assert any(n.startswith("классификация исправлена: нейтрально; темы: ") for n in notes)
    # A lead closes a ticket ann holds; afterwards only ann (who held it) or a lead may reopen it.
    wf.close(t.pk, lena, reason="дубль")
    with pytest.raises(ClaimConflict, match="закрыл"):
        wf.reopen(t.pk, bob)
    assert wf.reopen(t.pk, ann).state == "claimed"


def test_the_desk_refuses_and_greys_out_what_the_user_may_not_do(client, open_ticket, make_user, order):
    ann, bob = make_user("ann"), make_user("bob")
    t = open_ticket()
    link = link_manually(t.pk, "40020000", None)
    wf.claim(t.pk, ann)
    client.force_login(bob)
    html = client.get(reverse("desk:ticket", args=[t.pk])).content.decode()
    for button in ('id="close" disabled', 'id="save-correction" disabled', 'id="link-order" disabled',
                   'class="unlink" disabled'):
        assert button in html
    assert "Менять обращение может ann или руководитель" in html
    resp = client.post(reverse("desk:unlink_order", args=[link.pk]), follow=True)
    assert "в работе у ann" in resp.content.decode() and TicketOrderLink.objects.filter(pk=link.pk).exists()
    client.force_login(ann)
    html = client.get(reverse("desk:ticket", args=[t.pk])).content.decode()
    assert 'id="close" disabled' not in html and 'id="save-correction" disabled' not in html
