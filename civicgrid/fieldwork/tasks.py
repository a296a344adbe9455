"""Daily jobs of field work: fire-safety expiry (reminders, a case per expired item) and deleting old route points.

Both are idempotent: running one twice on a day changes nothing the second time, so a scheduler that fires late
or twice does no harm.
"""

from __future__ import annotations

from django_tasks import task


@task()
def run_fire_safety_checks() -> dict[str, int]:
    """Remind grid workers 30 days before an item expires; raise one case per expired item (消防器材过期)."""
    from civicgrid.firesafety.services import run_expiry_checks

    return run_expiry_checks()


@task()
def purge_old_traces() -> int:
    """Delete patrol route points older than CIVICGRID_TRACE_RETENTION_DAYS; returns how many were deleted."""
    from civicgrid.patrols import services

    return services.purge_old_traces()
