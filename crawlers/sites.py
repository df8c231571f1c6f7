"""Review-site configs (crawlers/sites.yaml): loading, checking, and reading reviews embedded as JSON in a page."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SITES_FILE = Path(__file__).resolve().parent / "sites.yaml"
HTML_KEYS = {"item", "id", "text", "text_more", "author", "rating", "date", "title", "url", "next_page", "id_pattern",
             "total", "preview_end", "full_text"}
JSON_KEYS = {"embedded_json", "items", "id", "text", "author", "rating", "date", "title", "url", "id_pattern", "total"}


@lru_cache(maxsize=4)
def load_sites(path: str = str(SITES_FILE)) -> dict[str, dict]:
    """The sites of a sites file by key."""
    return (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("sites", {})


def site_problem(config: dict) -> str | None:
    """What is wrong with one site's selectors ("lacks the 'item' selector"), or None."""
    json_mode = "embedded_json" in config
    allowed, required = (JSON_KEYS, ("embedded_json", "items", "id", "text")) if json_mode else (HTML_KEYS, ("item", "id", "text"))
    for key in required:
        if not config.get(key):
            return f"lacks the {key!r} selector"
    for key, value in config.items():
        if key not in allowed:
            return f"has an unknown selector key {key!r} (one of {', '.join(sorted(allowed))})"
        if not (isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))):
            return f"has selector {key!r} that is not a string or a list of strings"
    if "id_pattern" in config:
        try:
            re.compile(config["id_pattern"])
        except (re.error, TypeError) as exc:
            return f"has an invalid id_pattern: {exc}"
    return None


_JS_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _js_string(body: str) -> str:
    """The value of a single-quoted JavaScript string literal's body (enough for JSON.parse('…') payloads)."""
    simple = {"'": "'", '"': '"', "\\": "\\", "/": "/"}
    return _JS_ESCAPE.sub(lambda m: simple.get(m.group(1), "\\" + m.group(1)), body)


def embedded_json(html: str, variable: str) -> Any | None:
    """The JSON a page assigns to a script variable: `variable = JSON.parse('…')` or `variable = {…};`.

    Only parsed as data, never executed. None when the page has no such assignment or it is not JSON.
    """
    name = re.escape(variable)
    m = re.search(name + r"\s*=\s*JSON\.parse\(\s*'((?:[^'\\]|\\.)*)'\s*\)", html, re.DOTALL)
    try:
        if m:
            return json.loads(_js_string(m.group(1)))
        m = re.search(name + r"\s*=\s*(?=[{\[])", html)
        if m:
            return json.JSONDecoder().raw_decode(html, m.end())[0]
    except ValueError:
        return None
    return None


def json_values(data: Any, path: str | list[str]) -> list[Any]:
    """Every value at a dotted path; `*` steps into every value of an object or list. A list of paths: the first
    that gives anything."""
    for one in [path] if isinstance(path, str) else path:
        nodes = [data]
        for step in one.split("."):
            nxt = []
            for node in nodes:
                if step == "*":
                    nxt += list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
                elif isinstance(node, dict) and step in node:
                    nxt.append(node[step])
                elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                    nxt.append(node[int(step)])
            nodes = nxt
        if nodes:
            return nodes
    return []
