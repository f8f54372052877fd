"""``python -m omalizumab_core``: see :mod:`omalizumab_core.cli`."""

import sys

from .cli import main

sys.exit(main())
