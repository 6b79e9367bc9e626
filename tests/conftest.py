"""Settings shared by every test folder."""

import os

from hypothesis import settings

# In CI the property tests draw the same examples on every run, so a landing
# never hangs on a case a new random seed happened to find; locally they
# explore afresh each time, which is where new cases get found and fixed.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
    settings.load_profile("ci")


def pytest_configure(config):
    # A real password hash takes most of a second by design; tests create many
    # users, so they hash with a fast scheme. Login still checks a real hash.
    from django.conf import settings as django_settings

    if django_settings.configured:
        django_settings.PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.MD5PasswordHasher"
        ]
