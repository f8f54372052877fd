"""``python -m omalizumab_core``: see :mod:`omalizumab_core.cli.main`."""

import sys

from omalizumab_core.cli.main import main

sys.exit(main())
