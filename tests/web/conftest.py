import pytest
from django.core.cache import cache

from scorecards.testing.browser import page

__all__ = ["page"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Pages keep a few lists for seconds; no test sees another test's lists.
    cache.clear()
    yield
    cache.clear()
