"""Tools for IT that drive the core system without changing it: a dry run of a recipe
(:mod:`bots.tooling.dryrun`) and a probe of a selector file (:mod:`bots.tooling.probe`)."""
