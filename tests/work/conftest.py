from tests.notifications.conftest import cast  # noqa: F401  (the same cast of members)
