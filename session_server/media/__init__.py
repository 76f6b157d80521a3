"""Media over WebRTC (aiortc): the bridge points' cameras and microphones,
relayed to every hall display by the floor, and the floor's audio recorded.

``program.py`` is the one picture and sound the floor selects, encoded once
and handed to every display; ``ogg.py`` writes Ogg/Opus recordings;
``manager.py`` holds one dialogue's peer connections and follows its floor.
"""
