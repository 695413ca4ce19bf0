"""Demo data and set-up for renkei: believable residents and applications, no real person.

See :mod:`bots.demo.fake` for the generator.
"""
