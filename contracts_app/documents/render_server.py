"""Loaded once by the render fork server: every render child starts with the fonts
and the stylesheet ready, as a child forked from a warm process would."""

from __future__ import annotations

import logging

from contracts_app.documents import render

try:
    render._stylesheet()
except Exception:  # the fork server must start anyway: each child then loads them itself
    logging.getLogger(__name__).exception("The PDF stylesheet could not be preloaded")
