"""HTML rendering for the frontend. Every value that came from the backend is HTML-escaped."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}"
    "dt{font-weight:600}.error{border-left:4px solid #c0392b;padding-left:1rem}"
    "footer{color:#666;font-size:.9rem;margin-top:2rem}"
)


def _text(value: Any, missing: str = "unknown") -> str:
    return escape(missing if value is None else str(value))


def _document(title: str, body: str, frontend_host: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>{body}\n"
        f"<footer>Page rendered by frontend host {_text(frontend_host)}. "
        "Reload to see which backend task answers.</footer>\n"
        "</body></html>\n"
    )


def render_message_page(data: Mapping[str, Any], frontend_host: str) -> str:
    """The happy path: show what the backend said and which task/AZ said it."""
    rows = [
        ("Backend host", data.get("hostname")),
        ("Availability Zone", data.get("availability_zone")),
        ("Backend version", data.get("version")),
        ("Backend time", data.get("timestamp")),
    ]
    details = "".join(f"<dt>{label}</dt><dd>{_text(value)}</dd>" for label, value in rows)
    body = f"<h1>{_text(data.get('message'), 'No message')}</h1>\n<dl>{details}</dl>"
    return _document("Frontend", body, frontend_host)


def render_error_page(status: int, title: str, detail: str, frontend_host: str) -> str:
    """Shown with 502/504 when the backend is down, slow or answered nonsense."""
    body = (
        f'<div class="error"><h1>{escape(title)}</h1>'
        f"<p>{escape(detail)}</p><p>HTTP status {int(status)}</p></div>"
    )
    return _document(title, body, frontend_host)
