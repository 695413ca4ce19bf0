"""Drivers: one per UI technology, registered by kind (:mod:`bots.drivers.registry`).

``web`` (:mod:`bots.drivers.web_host`, :mod:`bots.drivers.playwright_web`) drives web core
systems in Chromium; ``desktop`` (``bots/drivers/desktop/``) is the place for thick clients
worked on pixels and keys. The engine never imports this package: the service layer hands
it the hosts (:func:`bots.drivers.registry.driver_hosts`).
"""
