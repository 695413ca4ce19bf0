"""The ``renkei`` command."""
