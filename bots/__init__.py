"""renkei (連携): 方式2 RPA bot keying resolved online applications into a core system.

Data flows one way: management DB → claim (:mod:`bots.queue`) → recipe fields and steps
(:mod:`bots.recipe`, :mod:`bots.steps`) → driver (:mod:`bots.drivers`) → core system →
outcome → write-back, while the audit trail (:mod:`bots.audit`) observes every step.
"""

__version__ = "0.1.0"
