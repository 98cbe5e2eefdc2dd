"""``python -m imagineo.sandbox [options]``: the same as ``imagineo sandbox [options]``."""

import sys

from ..cli import main

sys.exit(main(["sandbox", *sys.argv[1:]]))
