"""``python -m nictbw``: the nictbw command line."""

from nictbw.app.cli import main

if __name__ == "__main__":
    main()
