"""The shorewatch service: alert store, live push, missions, replays, dashboard, and the
composition root that wires frame sources to the detector to the store. The ``shorewatch``
command lives here (``api.cli``)."""
