"""Everything that flies: mission planning, flight control over MAVLink (dronekit), and the
simulator (``flight.sim``). Imports nothing from ``detector`` or ``api``; ``dronekit`` is
imported only by ``flight.vehicle``."""
