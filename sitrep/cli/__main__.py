"""`python -m sitrep.cli ...`: the same as the `sitrep` command (the bot runs its updates this way)."""

import sys

from sitrep.cli.main import main

sys.exit(main())
