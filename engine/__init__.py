"""CarbonFlow's core: BPMN execution, persistence and use cases.

Nothing in this package imports Flask or ``webui``; tests/unit/test_layering.py enforces it.
"""
