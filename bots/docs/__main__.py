"""``python -m bots.docs``: regenerate docs/ and examples/ of the checkout."""

from bots.docs.generate import main

main()
