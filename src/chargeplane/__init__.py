"""chargeplane — an open-source Charging Station Management System."""

__all__ = ["__version__"]

__version__ = "0.1.0"
