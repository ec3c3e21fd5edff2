"""Base for request bodies: unknown and read-only fields are refused (400, each named), never
dropped or written."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from chargeplane.api.nul import has_nul


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    READ_ONLY: ClassVar[frozenset[str]] = frozenset()
    """Fields a client may read but not write; naming one is a ``read_only_field`` error."""

    NOT_NULL: ClassVar[frozenset[str]] = frozenset()
    """Optional fields (of a PATCH) that may be left out but not set to null."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_fields(cls, data: Any) -> Any:
        """One error naming every read-only and every unknown field of the body."""
        if isinstance(data, dict):
            read_only = sorted(k for k in data if k in cls.READ_ONLY)
            unknown = sorted(
                k for k in data if k not in cls.READ_ONLY and k not in cls.model_fields
            )
            if read_only or unknown:
                raise PydanticCustomError(
                    "refused_fields",
                    "read-only fields: {read_only}; unknown fields: {unknown}",
                    {"read_only": read_only, "unknown": unknown},
                )
            if has_nul(data):
                raise PydanticCustomError("nul_character", "text may not contain NUL characters")
            nulls = sorted(k for k in cls.NOT_NULL if k in data and data[k] is None)
            if nulls:
                raise PydanticCustomError(
                    "null_not_allowed", "may not be null: {fields}", {"fields": nulls}
                )
        return data

    def given(self) -> dict[str, Any]:
        """The fields the client sent (for PATCH)."""
        return self.model_dump(exclude_unset=True)


def read_only(*models: type[BaseModel], extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The read-only field names of a resource: those of its read schemas not writable."""
    names = {name for model in models for name in model.model_fields}
    return frozenset(names | set(extra))
