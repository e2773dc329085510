"""One import profile per ticketing tool, matching the sample exports in docs/samples/.

The demo makes them on its agreement; the tests import the samples through them.
"""

from __future__ import annotations

from typing import Any

PRIORITIES_1_TO_5 = ("P1", "P2", "P3", "P4", "P5")

SAMPLE_PROFILES: dict[str, dict[str, Any]] = {
    "jira": {
        "source": "jira",
        "timezone": "Europe/Warsaw",
        # Jira logs work in seconds; a person logging 20 minutes means a quarter hour begun
        "hours_rounding": {"mode": "up", "step": "0.25"},
        "category": {
            "values": {
                "Bug": "support.incident",
                "Task": "maintenance.corrective",
                "Story": "development",
            }
        },
        "system": {"values": {"Checkout": "shop-web", "Web": "shop-web", "Search": "shop-api"}},
        "priority": {
            "values": dict(
                zip(("Highest", "High", "Medium", "Low", "Lowest"), PRIORITIES_1_TO_5, strict=True)
            )
        },
    },
    "servicenow": {
        "source": "servicenow",
        "timezone": "America/New_York",
        "category": {
            "values": {
                "Software | Email": "support.incident",
                "Software": "support.incident",
                "Inquiry / Help": "support.request",
            }
        },
        "priority": {
            "values": dict(
                zip(
                    ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning"),
                    PRIORITIES_1_TO_5,
                    strict=True,
                )
            )
        },
    },
    "glpi": {
        "source": "glpi",
        "timezone": "Europe/Paris",
        "category": {
            "values": {
                "Shop > Checkout": "support.incident",
                "Shop > Maintenance": "maintenance.corrective",
            }
        },
        "priority": {
            "values": dict(
                zip(
                    ("Very high", "High", "Medium", "Low", "Very low"),
                    PRIORITIES_1_TO_5,
                    strict=True,
                )
            )
        },
    },
}
