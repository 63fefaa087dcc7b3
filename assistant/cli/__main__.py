"""`python -m assistant.cli` is the `exchange-assistant` command."""

import sys

from assistant.cli import main

sys.exit(main())
