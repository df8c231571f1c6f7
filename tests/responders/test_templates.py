import pytest

from responders.models import ReplyTemplate, Ticket
from responders.services.orders import import_orders_csv
from responders.services.routing import route_pending
from responders.services.templates import load_templates, render, suggest
from tests.factories import classified
from tests.responders.test_orders import CSV

pytestmark = pytest.mark.django_db


def test_starter_templates_load_once_and_keep_edits():
    n = load_templates()
    assert n == ReplyTemplate.objects.count() and n >= 12
    tpl = ReplyTemplate.objects.get(topic="delivery_delay", situation="default")
    tpl.text = "Отредактировано модератором"
    tpl.save()
    assert load_templates() == 0
    assert ReplyTemplate.objects.get(pk=tpl.pk).text == "Отредактировано модератором"


def test_suggest_and_render_with_order(tmp_path):
    load_templates()
    p = tmp_path / "o.csv"
    p.write_text(CSV, encoding="utf-8")
    import_orders_csv(p)
    classified("Заказ 40012345 опаздывает на неделю", topics=["delivery_delay"])
    route_pending()
    ticket = Ticket.objects.get()
    tpl = suggest(ticket)
    assert (tpl.topic, tpl.situation) == ("delivery_delay", "default")
    text = render(tpl, ticket)
    assert text.startswith("Анна, здравствуйте!")
    assert "40012345" in text and "https://skorodostavka.example/track/SK123456789RU" in text
    assert "{" not in text


def test_fallbacks_without_order_or_specific_template():
    load_templates()
    classified("Вы сменили логотип?", sentiment="neutral", topics=["other"], author="")
    classified("Спасибо за доставку", sentiment="positive", topics=["praise"], author="Мария Иванова")
    route_pending()
    other = Ticket.objects.get(topic="other")
    tpl = suggest(other)
    assert (tpl.topic, tpl.situation) == ("*", "default")
    assert render(tpl, other).startswith("Здравствуйте! ")
    praise = Ticket.objects.get(topic="praise")
    assert render(suggest(praise), praise).startswith("Мария, спасибо")


@pytest.mark.parametrize("author", ['<script>alert(1)</script>"><img src=x>', "olga_88", "@skoro_fan", "Иван 2",
                                    "https://vk.com/id1", "{order}", ""])
def test_a_handle_that_is_not_a_plain_name_never_reaches_the_reply(author):
    load_templates()
    classified("Посылка опаздывает", topics=["delivery_delay"], author=author)
    route_pending()
    ticket = Ticket.objects.get()
    text = render(suggest(ticket), ticket)
    assert text.startswith("Здравствуйте! Приносим извинения") and "<" not in text and "{" not in text
    assert (author.split() or [""])[0] not in text or not author


def test_a_plain_author_name_is_used_and_the_csat_question_falls_back_too(rules):
    from responders.services import workflow as wf
    from responders.models import Reply
    from django.contrib.auth import get_user_model

    load_templates()
    classified("Посылка опаздывает", topics=["delivery_delay"], author="Анна-Мария Петрова")
    classified("Посылка потерялась", topics=["lost_item"], author="<b>x</b>")
    route_pending()
    named, anon = Ticket.objects.get(topic="delivery_delay"), Ticket.objects.get(topic="lost_item")
    assert render(suggest(named), named).startswith("Анна-Мария, здравствуйте!")
    ann = get_user_model().objects.create_user("ann")
    wf.reply(anon.pk, ann, "Ответ")
    wf.close(anon.pk, ann, cfg=rules(csat={"enabled": True}))
    assert Reply.objects.get(purpose="csat").text.startswith("Мы закрыли ваше обращение.")
