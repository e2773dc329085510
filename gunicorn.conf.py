"""gunicorn settings consistent with the application's own limits.

A worker serving a PDF may wait for a render slot (PDF_RENDER_WAIT_SECONDS) and then
render (PDF_RENDER_SECONDS, after which the render is stopped): the worker timeout
adds both and a margin for gathering the data, so a render never outlives its worker
and a killed worker never turns a slow document into a 500. Pages and `POST .../renders`
hand their renders to the job worker and answer within PDF_RENDER_ANSWER_SECONDS, as does
the last sign-off of a summary (its signed PDF); what still renders in a web worker is a PDF
fetched with a plain GET (`GET .../summary.pdf`, an issued summary's draft), and this
timeout covers it (and a sign-off made with PDF_RENDERS_INLINE=1, where no worker runs).

    DATABASE_URL=... SECRET_KEY=... AUDIT_HMAC_KEY=... REDIS_URL=... \\
        .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "sync"

_render_seconds = int(os.environ.get("PDF_RENDER_SECONDS", "60"))
_render_wait_seconds = int(os.environ.get("PDF_RENDER_WAIT_SECONDS", "10"))
_margin_seconds = 20  # gathering the summary's data, signing, writing the response

timeout = _render_wait_seconds + _render_seconds + _margin_seconds
graceful_timeout = timeout
keepalive = 5
# Requests whose headers alone are this large are refused before the application runs.
limit_request_line = 8190
limit_request_field_size = 8190
