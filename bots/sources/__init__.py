"""Sources of applications and the write-back of outcomes (issue 16): bots/sources/config.py."""
