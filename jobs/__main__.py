"""`python -m jobs ...`: the same commands as the `mirador` console script."""

import sys

from jobs.cli import main

sys.exit(main())
