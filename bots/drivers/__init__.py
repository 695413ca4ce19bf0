"""Drivers: one module per UI technology. ``playwright_web`` drives web core systems."""
