"""The desk search page: full text + filters over mentions and tickets, with counts for the current filter."""

from __future__ import annotations

import logging

from django.shortcuts import render

from classifiers.taxonomy import load_taxonomy
from responders.roles import MODERATOR, role_required
from search.forms import SENTIMENT_NAMES, SearchForm
from search.models import IndexOutbox
from search.query import BackendUnavailable
from search.services.search import aggregate, search
from store.models import SourceKind

log = logging.getLogger(__name__)
CHANNEL_NAMES = dict(SourceKind.choices)
PER_PAGE = 20


def _href(url: str) -> str:
    """Only http(s) links from crawled data may become hrefs (never javascript: or data:)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


@role_required(MODERATOR)
def desk_search(request):
    form = SearchForm(request.GET or None)
    context = {"form": form, "results": None, "facets": None, "error": "", "pending": IndexOutbox.objects.count()}
    if form.is_bound and not form.is_valid():
        return render(request, "search/desk_search.html", context, status=400)
    if not form.is_bound:
        form = context["form"] = SearchForm({})
        form.is_valid()
    query = form.to_query()
    try:
        page = search(query, page=form.cleaned_data.get("page") or 1, per_page=PER_PAGE)
        facets = aggregate(query)
    except BackendUnavailable as exc:
        log.warning("desk search failed: %s", exc)
        context["error"] = "Поиск сейчас недоступен: индекс не отвечает. Попробуйте позже."
        return render(request, "search/desk_search.html", context, status=503)
    taxonomy = load_taxonomy()
    context.update(
        results=page,
        hits=[{"hit": h, "href": _href(h.url), "topics": [taxonomy.name(t) for t in h.topics],
               "sentiment": SENTIMENT_NAMES.get(h.sentiment, h.sentiment), "channel": CHANNEL_NAMES.get(h.channel, h.channel)}
              for h in page.hits],
        facets={
            "Тональность": [(SENTIMENT_NAMES.get(k, k), n) for k, n in facets.sentiment.most_common()],
            "Тема": [(taxonomy.name(k), n) for k, n in facets.topic.most_common()],
            "Канал": [(CHANNEL_NAMES.get(k, k), n) for k, n in facets.channel.most_common()],
        },
    )
    return render(request, "search/desk_search.html", context)
