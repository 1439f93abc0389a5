"""Exports of a finished run to other tools' formats (CZML for Cesium: `czml.py`)."""
