"""``python -m gitdesk``: the command line."""

from gitdesk.main import main

main()
