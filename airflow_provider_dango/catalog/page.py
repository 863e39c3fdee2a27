"""The catalog page: one HTML shell with the CSS and JavaScript inlined, used by the static export (model embedded)
and by the Airflow plugin (model fetched from its JSON API)."""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from airflow_provider_dango.catalog.jsonio import json_bytes

_SLOT = re.compile(r"\{(css|config|data|js|banners)\}")


@lru_cache(maxsize=4)
def _asset(name: str) -> str:
    return resources.files("airflow_provider_dango.catalog").joinpath("static", name).read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: `<`, `>`, `&` and the JS line separators are escaped, so a name like
    `</script><script>` in dbt metadata stays data."""
    text = json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_page(config: dict[str, Any], model: dict[str, Any] | None = None, banners: list[str] | None = None) -> str:
    """The full HTML document. With `model`, the data is embedded (static export); else the page fetches it.
    `banners`: one line each, shown above every page (the plugin's pool problems), escaped here."""
    data = ""
    if model is not None:
        # gzip + base64: a 2,000-model project's data is ~15 MB of JSON and ~2 MB like this; the page inflates it
        # with the browser's DecompressionStream, so nothing is fetched and file:// works.
        raw = json_bytes(model)
        encoded = base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")
        data = f'<script id="dango-data" type="application/octet-stream">{encoded}</script>'
    shown = "".join(f'<p class="banner" role="alert">{html.escape(line)}</p>\n' for line in banners or [])
    slots = {
        "css": _asset("app.css"),
        "js": _asset("app.js"),
        "config": script_json(config),
        "data": data,
        "banners": shown,
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], _asset("shell.html"))
