"""Submitting a page's form as a browser does: every field it holds, duplicates included."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from werkzeug.datastructures import MultiDict


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.select: str | None = None
        self.select_value: str | None = None
        self.select_first: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = {"action": attributes.get("action", ""), "fields": []}
            self.forms.append(self.current)
            return
        if self.current is None:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.current["fields"].append((name, attributes.get("value", "")))
        elif tag == "select" and name:
            self.select, self.select_value, self.select_first = name, None, None
        elif tag == "option" and self.select:
            value = attributes.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attributes:
                self.select_value = value
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select and self.current is not None:
            chosen = self.select_value if self.select_value is not None else self.select_first
            self.current["fields"].append((self.select, chosen or ""))
            self.select = None
        elif tag == "textarea" and self.textarea and self.current is not None:
            text = self.text.removeprefix("\r\n") if self.text.startswith("\r\n") else self.text
            self.current["fields"].append((self.textarea, text.removeprefix("\n")))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data


def page_form(html: str, action_contains: str, **having: str) -> dict[str, Any]:
    """The first form whose action contains ``action_contains`` and which holds each of the
    ``having`` fields with that value (to pick one event's form among several)."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if action_contains in (form["action"] or "") and all(
            (name, value) in form["fields"] for name, value in having.items()
        ):
            return form
    raise AssertionError(f"no form posting to {action_contains!r} with {having}")


def submit(
    client: Any,
    html: str,
    action_contains: str,
    fill: dict[str, str] | None = None,
    url: str = "",
    **having: str,
) -> Any:
    """Post the chosen form as a browser would, after typing ``fill`` into its fields.

    A form without an action posts to the page's own ``url``.
    """
    form = page_form(html, action_contains, **having)
    fields = MultiDict(form["fields"])
    for name, value in (fill or {}).items():
        fields.setlist(name, [value])
    return client.post(form["action"] or url, data=fields)
