"""The simulated coastline: an ArduCopter-like MAVLink vehicle, the world and its scenarios,
and a camera that renders what the drone sees, with ground truth."""
