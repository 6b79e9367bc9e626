"""Settings shared by every test folder."""

import os

from hypothesis import settings

# In CI the property tests draw the same examples on every run, so a landing
# never hangs on a case a new random seed happened to find; locally they
# explore afresh each time, which is where new cases get found and fixed.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
    settings.load_profile("ci")
