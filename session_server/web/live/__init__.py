"""Live screens: the pure fan-out plan (``fanout.py``), the hub that writes
what it decides (``hub.py``), and prepared WebSocket frames (``frames.py``)."""
