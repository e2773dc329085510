from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tests.factories import clause, make_agreement, make_annex, manager_of, member_user


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def inline(app, monkeypatch):
    """No worker serves: renders and signing run in the request, bounded by the slots."""
    monkeypatch.setitem(app.config, "PDF_RENDERS_INLINE", True)


@pytest.fixture
def summary_agreement():
    agreement = make_agreement(
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        scope=[
            clause(
                "1.1",
                ["support.incident"],
                title="Incident resolution",
                cap={"unit": "hours", "limit": "40", "period": "month"},
                systems=["shop-web"],
            ),
            clause("1.2", ["support.request"], title="Service requests"),
            clause("9.1", ["development"], kind="excluded", title="New features"),
        ],
    )
    make_annex(
        agreement,
        dt.date(2026, 3, 1),
        [
            {"op": "add", "item": clause("2.1", ["maintenance"], title="Corrective maintenance")},
            {
                "op": "modify",
                "ref": "1.1",
                "fields": {"cap": {"unit": "hours", "limit": "60", "period": "month"}},
            },
        ],
        title="More maintenance",
    )
    return agreement


@pytest.fixture
def signers(summary_agreement):
    return {
        "manager": manager_of(summary_agreement),
        "customer": member_user(summary_agreement, "customer", "approver"),
        "provider": member_user(summary_agreement, "provider", "approver"),
    }
