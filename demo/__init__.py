"""Demo data for a first look and for screenshots: a Shanxi cement plant's users and a year of its cycles.

Outside the engine: it drives the engine's use cases as people would, and `carbonflow demo-data` loads it.
"""
