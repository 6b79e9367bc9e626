"""The JSON API under /api/v1/: token authentication, errors, and the routes."""
