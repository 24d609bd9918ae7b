"""`python -m deploy.cli` is `casework`."""

import sys

from deploy.cli import main

sys.exit(main())
