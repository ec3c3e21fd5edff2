"""EVSEs of a charger: ``/api/v1/chargers/{charger_id}/evses``."""
