from tests.tasks.conftest import SCOPE, agreement, record  # noqa: F401
