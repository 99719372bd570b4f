"""Settings for the test suite only: the production settings with a fast password
hasher and a report cache of its own in each process.

Hashing a password the production way costs most of a second; the suite signs
in hundreds of people. The production report cache is a folder shared by every
process of the host: test databases start again from the same data versions,
so a shared folder would hand one test (or run) the reports of another.
"""

from tsunagu.settings import *  # noqa: F403
from tsunagu.settings import cache_settings

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = cache_settings("locmem", DATA_DIR)  # noqa: F405
