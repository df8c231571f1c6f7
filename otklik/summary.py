"""Print what a demo batch did, in words a moderator or marketer reads at a glance."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.console import Console
from rich.table import Table


def taxonomy_name(code: str) -> str:
    from classifiers.taxonomy import load_taxonomy

    return "негатив по всем темам" if code == "*" else load_taxonomy().name(code)


SENTIMENTS = {"negative": "негатив", "neutral": "нейтрально", "positive": "позитив"}
KINDS = {"complaint": "жалоб", "question": "вопросов", "praise": "благодарностей", "spam": "спам", "other": "прочих"}


def print_demo_summary(console: Console, result: dict, started: datetime) -> None:
    from classifiers.taxonomy import load_taxonomy
    from store.models import Classification

    crawl = result["crawl"]
    total = lambda k: sum(s.get(k, 0) for s in crawl.values())  # noqa: E731
    new, copies, repeats, quarantined = total("new"), total("near_duplicate"), total("repeat"), total("quarantined")
    crawled = new + copies + repeats
    clf, route = result["classify"], result["route"]
    console.rule("[bold]Демо Otklik")
    console.print(f"Собрано {crawled} упоминаний из {len(crawl)} источников: [bold]{new + copies} новых[/bold] "
                  f"(из них {copies} копий и репостов, связанных с оригиналом), {repeats} уже известных, "
                  f"{quarantined} в карантине с указанием причины.")
    table = Table("источник", "страниц", "новых", "копий", "известных", "в карантине")
    for name, s in sorted(crawl.items()):
        table.add_row(name, *(str(s.get(k, 0)) for k in ("pages", "new", "near_duplicate", "repeat", "quarantined")))
    console.print(table)
    clock = result.get("clock") or {}
    if clock.get("shifted"):
        console.print(f"Даты снимка сдвинуты на {clock['days']} дн.: последний день снимка — сегодня.")
    console.print(f"Классифицировано {clf['classified']} упоминаний моделью {clf['model']} (версия {clf['version']}).")
    rows = Classification.objects.filter(model_version=clf["version"], created_at__gte=started, corrected_by=None)
    if clf["classified"]:
        sentiments = Counter(rows.values_list("sentiment", flat=True))
        console.print("Тональность: " + ", ".join(f"{SENTIMENTS.get(k, k)} {v}" for k, v in sentiments.most_common()))
        taxonomy = load_taxonomy()
        topics = Counter(t for ts in rows.values_list("topics", flat=True) for t in ts)
        console.print("Темы: " + ", ".join(f"{taxonomy.name(k)} {v}" for k, v in topics.most_common()))
    by_kind = ", ".join(f"{KINDS.get(k, k)} {v}" for k, v in sorted(route["by_kind"].items()))
    console.print(f"Обращения: [bold]{route['opened']} открыто[/bold], {route['dismissed']} закрыто сразу (спам, новости)"
                  f"{f' — {by_kind}' if by_kind else ''}; {route['skipped_duplicates']} копий присоединены к оригиналу; "
                  f"{route['linked_to_order']} связаны с заказом.")
    play = result.get("play") or {}
    if play.get("played"):
        acts = play["actions"]
        console.print(f"Две недели работы команды (marina, oleg, sveta; руководитель irina) проиграны через сервисы "
                      f"стола: {acts.get('reply', 0)} ответов, {acts.get('close', 0)} закрытий, "
                      f"{acts.get('wait', 0)} ожиданий клиента, {acts.get('reopen', 0)} переоткрытий, "
                      f"{acts.get('csat', 0)} оценок CSAT.")
    sla = result.get("sla") or {}
    if sla:
        console.print(f"Сроки: {sla.get('breached', 0)} обращений просрочено, {sla.get('at_risk', 0)} под угрозой.")
    if new + copies == 0 and route["opened"] + route["dismissed"] == 0:
        console.print("[green]С прошлого запуска ничего нового: 0 новых упоминаний, 0 новых обращений.[/green]")
    spikes = ", ".join(f"{taxonomy_name(s['topic'])} {s['peak']}" for s in result["report"].get("spikes", []))
    console.print(f"Отчёт: {result['report']['html']}" + (f" (всплески: {spikes})" if spikes else ""))
    console.print("Стол модератора: один раз `otklik users add ИМЯ --role moderator`, затем `otklik desk` и "
                  "http://127.0.0.1:8000/")
