#!/usr/bin/env python
"""Django's command-line utility; `tsunagu` (installed in .venv) wraps the same."""

from tsunagu.__main__ import main

if __name__ == "__main__":
    main()
