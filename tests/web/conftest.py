from scorecards.testing.browser import page

__all__ = ["page"]
