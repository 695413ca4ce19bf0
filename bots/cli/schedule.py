"""``renkei schedule …``: the schedules staff keep in the management database.

Registered on the main group by :mod:`bots.cli.main`; kept apart because the scheduler
service and its commands are one idea.
"""

from __future__ import annotations

import click

from bots.config import Settings


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group()
def schedule() -> None:
    """Scheduled runs (stored in the management database)."""


@schedule.command("add")
@click.option("--procedure", "-p", help="Procedure to run (default: all).")
@click.option("--cron", required=True, help='Crontab line in Japan time, e.g. "0 8 * * 1-5".')
@click.option("--id", "job_id", help="Job id (default run:<procedure>).")
@click.option("--on-holidays", is_flag=True, help="Also run on weekends, holidays and 年末年始.")
@click.pass_context
def schedule_add(
    ctx: click.Context, procedure: str | None, cron: str, job_id: str | None, on_holidays: bool
) -> None:
    from bots.scheduling import add_schedule
    from bots.service import load_recipes

    settings = _settings(ctx)
    if procedure and procedure not in load_recipes(settings):
        raise click.ClickException(f"手続 '{procedure}' のレシピがありません")
    try:
        job = add_schedule(
            settings.db_url, procedure, cron, job_id=job_id, skip_holidays=not on_holidays
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{job.id}: {job.cron}  次回 {job.next_run}")


@schedule.command("list")
@click.pass_context
def schedule_list(ctx: click.Context) -> None:
    from bots.scheduling import list_schedules

    jobs = list_schedules(_settings(ctx).db_url)
    if not jobs:
        click.echo("スケジュールはありません")
    for job in jobs:
        holidays = "閉庁日は休み" if job.skip_holidays else "毎日"
        click.echo(
            f"{job.id}\t{job.cron}\t{job.procedure or 'all'}\t次回 {job.next_run}\t{holidays}"
        )


@schedule.command("remove")
@click.argument("job_id")
@click.pass_context
def schedule_remove(ctx: click.Context, job_id: str) -> None:
    from bots.scheduling import remove_schedule

    if not remove_schedule(_settings(ctx).db_url, job_id):
        raise click.ClickException(f"スケジュール '{job_id}' はありません")
    click.echo(f"{job_id} を削除しました")
