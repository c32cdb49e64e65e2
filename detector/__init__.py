"""Detection: YOLO inference with tiling, tracking, georeferencing, and the event logic that
turns tracks into launch / boat-at-sea / gathering / person-in-water events.

Modules: ``boxes`` (box maths, NMS, merging), ``tiling`` (which image regions to run the
model on, at what scale), ``model`` (``BoatDetector``, ``load_detector``), ``tracking``
(ByteTrack), ``georef`` (pixel -> lat/lon), ``events`` (``EventEngine``), ``pipeline``
(``DetectionPipeline``), ``coverage`` (which stretches of shoreline were seen, how well),
``metrics`` (AP by class and size), ``training``, ``errors``.

Imports nothing from ``flight`` or ``api``. ``ultralytics`` is imported only by
``detector.yolo`` (lazily: it costs seconds), after ``detector.offline.configure`` ran."""
