"""Where a maintenance window stands: scheduled, in progress, verifying or completed. Pure.

The one reading of a window that the status page, the API, the feeds and the components share.
"""

from __future__ import annotations

from datetime import datetime

from .model import Maintenance, MaintenanceState


def maintenance_state(m: Maintenance, now: datetime) -> MaintenanceState:
    """The window's state at ``now`` (a cancelled one is completed, as Statuspage says)."""
    if m.cancelled:
        return MaintenanceState.COMPLETED
    if now < m.starts:
        return MaintenanceState.SCHEDULED
    return MaintenanceState.IN_PROGRESS if now < m.ends else MaintenanceState.COMPLETED


def in_progress(m: Maintenance, now: datetime) -> bool:
    """Whether the work is going on at ``now`` (its components are under maintenance)."""
    return maintenance_state(m, now) in (MaintenanceState.IN_PROGRESS, MaintenanceState.VERIFYING)


def window_end(m: Maintenance) -> datetime:
    """When the window ends, as far as anyone knows now."""
    return m.ends
