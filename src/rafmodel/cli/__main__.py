"""``python -m rafmodel.cli`` is the ``raf`` command."""

import sys

from . import main

sys.exit(main())
