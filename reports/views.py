"""The marketer's report page in the desk and its downloads."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render

from reports.build import ReportError, build_report
from reports.cache import report_page
from reports.forms import ReportForm
from reports.models import Alert
from responders.roles import MARKETER, role_required

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
    "pdf": "application/pdf",
}


def _filters(form: ReportForm) -> dict:
    return {"sources": form.cleaned_data["source"] or None, "topics": form.cleaned_data["topic"] or None}


@role_required(MARKETER)
def index(request):
    form = ReportForm(request.GET)
    context = {"form": form, "alerts": Alert.objects.all()[:20], "query": request.GET.urlencode()}
    if form.is_valid():
        start, end = form.period()
        filters = _filters(form)
        context.update(report_page(start, end, filters["sources"], filters["topics"]))
    return render(request, "reports/desk_report.html", context)


@role_required(MARKETER)
def export(request, fmt: str):
    if fmt not in CONTENT_TYPES:
        raise Http404("unknown format")
    form = ReportForm(request.GET)
    if not form.is_valid():
        return HttpResponse("Неверные параметры отчёта: " + form.errors.as_text(), status=400,
                            content_type="text/plain; charset=utf-8")
    start, end = form.period()
    with tempfile.TemporaryDirectory(prefix="otklik-report-") as tmp:
        try:
            files = build_report(start, end, Path(tmp), formats=[fmt], **_filters(form))
        except ReportError as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        paths = files.paths[fmt]
        if fmt == "csv":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in paths:
                    zf.write(p, p.name)
            body, name = buf.getvalue(), paths[0].name.rsplit("-", 1)[0] + "-csv.zip"
        else:
            body, name = paths[0].read_bytes(), paths[0].name
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
