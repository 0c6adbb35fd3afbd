"""
``python -m clientid``: the ``clientid`` command.
"""

from __future__ import annotations

import sys

from clientid.cli import main

if __name__ == "__main__":  # pragma: no branch (run, never imported)
    sys.exit(main())
