"""Settings for the test suite only: the production settings with a fast password hasher.

Hashing a password the production way costs most of a second; the suite signs
in hundreds of people. Nothing else differs from `tsunagu.settings`.
"""

from tsunagu.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
