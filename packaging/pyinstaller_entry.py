"""The desktop bundle's entry point (packaging/build.sh freezes it with PyInstaller as ``segan-studio``)."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
