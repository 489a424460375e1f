from __future__ import annotations

from collections.abc import Iterator

import pytest

from resettle.encryption import keys


@pytest.fixture(autouse=True)
def _fresh_keyring() -> Iterator[None]:
    keys.clear_cache()
    yield
    keys.clear_cache()
