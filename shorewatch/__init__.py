"""shorewatch's shared kernel: the value types that cross package boundaries, and the
geometry both the simulator and the detector must agree on (map projection, camera model).

``detector``, ``flight`` and ``api`` all import this package; it imports none of them.
"""

__version__ = "0.1.0"
