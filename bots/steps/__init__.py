"""Recipe steps, registered by name.

Importing this package registers the built-in steps. An unknown step name is an error when
the recipe is loaded, never a surprise in the middle of a resident's record.
"""

from bots.steps import flow, safety, screen  # noqa: F401  (register the built-in steps)
from bots.steps.registry import STEPS, ParseContext, Runtime, Step, parse_steps

__all__ = ["STEPS", "ParseContext", "Runtime", "Step", "parse_steps"]
