"""Recipe steps, registered by name: what a recipe says, parsed and checked at load time.

Importing this package registers the built-in steps. An unknown step name is an error when
the recipe is loaded, never a surprise in the middle of a resident's record. How each step
runs is its executor in :mod:`bots.engine.executors`, which this package never imports.
"""

from bots.steps import flow, safety, screen  # noqa: F401  (register the built-in steps)
from bots.steps.registry import STEPS, ParseContext, Step, parse_steps

__all__ = ["STEPS", "ParseContext", "Step", "parse_steps"]
