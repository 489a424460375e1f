from __future__ import annotations

from collections.abc import Iterator

import pytest

from resettle.encryption import keys


@pytest.fixture(autouse=True)
def _fresh_keyring() -> Iterator[None]:
    """Each test's rolled-back transaction takes its data keys with it: forget them too."""
    keys.clear_cache()
    yield
    keys.clear_cache()
