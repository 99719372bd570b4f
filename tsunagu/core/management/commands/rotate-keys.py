"""`tsunagu rotate-keys`: the hyphenated name of `rotate_keys`."""

from tsunagu.core.management.commands.rotate_keys import Command

__all__ = ["Command"]
