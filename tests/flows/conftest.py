import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the flow tests (started once per session)."""
    with prefect_test_harness(server_startup_timeout=600):  # a loaded 2-core machine, niced: minutes
        yield
