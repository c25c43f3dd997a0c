import pytest

from oauth_portal.db import compiled_deletes, compiled_queries, compiled_writes


@pytest.fixture(autouse=True)
def compile_afresh():
    """Each test compiles its SQL itself, so none passes on another's compiled statements."""
    for compiled in (compiled_queries, compiled_writes, compiled_deletes):
        compiled.forget()
    yield
    for compiled in (compiled_queries, compiled_writes, compiled_deletes):
        compiled.forget()
