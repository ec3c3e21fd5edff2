"""Sensitive fields (pincodes, payment tokens) are sealed at rest with Fernet (AES-128-CBC +
HMAC-SHA256), so the database alone never reveals them; API keys are hashed instead
(``chargeplane.apikeys``), since nobody needs them back."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)


class Sealer:
    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            log.error("a sealed field does not open with this node's secret key")
            return None


def load_key(key: str | None, key_file: Path) -> str:
    """The configured key; else the one in ``key_file``, created (mode 0600) on first use."""
    if key:
        return key
    if key_file.exists():
        return key_file.read_text().strip()
    new = Fernet.generate_key().decode()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(new + "\n")
    log.warning("generated a new secret key in %s: keep it with the database", key_file)
    return new
