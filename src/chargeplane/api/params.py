"""Parameter types shared by the API's routes and bodies."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

INT32_MAX = 2_147_483_647

DbId = Annotated[int, Ge(1), Le(INT32_MAX)]
"""A database id: a positive 32-bit integer (larger values cannot name a row; refusing them
with a 422 keeps them from reaching the database as an overflow)."""
