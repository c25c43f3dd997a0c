import pytest

from oauth_portal.db import compiled_queries, compiled_writes


@pytest.fixture(autouse=True)
def compile_afresh():
    """Each test compiles its SQL itself, so none passes on another's compiled statements."""
    compiled_queries.forget()
    compiled_writes.forget()
    yield
    compiled_queries.forget()
    compiled_writes.forget()
