"""The escalation form shows its own errors and the service's in one submission."""

from __future__ import annotations

import re

from tests.factories import make_agreement, manager_of, signed_in


def test_raising_an_escalation_with_mistakes_shows_them_all_at_once(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/escalations/new",
        data={"subject": "", "clause": "7.7", "period": "2026-03"},
    )
    page = response.get_data(as_text=True)
    errors = re.findall(r'<small class="error">([^<]*)</small>', page)
    assert any("required" in e.lower() for e in errors)  # the form's own
    assert any("No clause 7.7" in e for e in errors)  # the service's, in the same answer
    assert 'value="7.7"' in page
