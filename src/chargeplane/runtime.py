"""What a running node holds: settings, the store, the clock, live connections."""

from __future__ import annotations

from dataclasses import dataclass, field

from chargeplane.clock import Clock
from chargeplane.config import Settings
from chargeplane.crypto import Sealer
from chargeplane.db import Database
from chargeplane.db.group_commit import GroupCommit
from chargeplane.ocpp._messagelog import MessageLog
from chargeplane.ocpp._registry import ConnectionRegistry


@dataclass
class Runtime:
    settings: Settings
    db: Database
    committer: GroupCommit
    clock: Clock
    message_log: MessageLog
    sealer: Sealer
    registry: ConnectionRegistry = field(default_factory=ConnectionRegistry)
