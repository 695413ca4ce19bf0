"""The engine: runs a recipe over claimed applications and turns errors into outcomes."""
