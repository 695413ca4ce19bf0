"""Scheduled runs: schedules as rows in the management database, fired by one service.

* :mod:`bots.scheduling.store` — the schedules and what came of each fired slot: the
  functions the CLI (and later the web console) call; none of them ever runs a job.
* :mod:`bots.scheduling.service` — ``renkei scheduler``: the only process that fires.
* :mod:`bots.scheduling.calendar` — closed days and the core systems' online windows,
  decided in Japan time.
"""
