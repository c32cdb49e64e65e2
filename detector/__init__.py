"""Detection: YOLO inference with tiling, tracking, georeferencing, and the event logic that
turns tracks into launch / boat-at-sea / gathering / person-in-water events.

Imports nothing from ``flight`` or ``api``. ``ultralytics`` is imported only by
``detector.yolo`` (lazily: it costs seconds), after ``detector.offline.configure`` ran."""
