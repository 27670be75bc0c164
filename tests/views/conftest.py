"""Fixtures the page and API tests of this folder share: the API's small district (``world``)
with token-signed callers (``caller``), from tests/api_world.py, and the imports' hand-made
district (``district``) from tests/io/conftest.py."""

from tests.api_world import caller, world  # noqa: F401  (fixtures for this folder)
from tests.io.conftest import district  # noqa: F401  (a fixture for this folder)
