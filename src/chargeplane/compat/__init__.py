"""Compatibility dialects: each seed vendor's API shape, served from the same charger
snapshot. Each module is a pure function of a snapshot plus its router and error format."""
