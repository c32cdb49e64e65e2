"""The detector package's exceptions.

::

    DetectorError (ValueError)
    ├── ModelLoadError        weights missing, unreadable, or not a 2-class boat/person detector
    ├── DetectorConfigError   a pipeline / event / tiling setting out of range
    ├── GeorefError           no pose, or a pixel that does not look at the sea-level plane
    ├── DatasetError          a YOLO folder that is missing, malformed or empty
    └── TrainingError         training could not start or resume
"""

from __future__ import annotations


class DetectorError(ValueError):
    """Base class of every error the detector package raises on purpose."""


class ModelLoadError(DetectorError):
    pass


class DetectorConfigError(DetectorError):
    pass


class GeorefError(DetectorError):
    pass


class DatasetError(DetectorError):
    pass


class TrainingError(DetectorError):
    pass
