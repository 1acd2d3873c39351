"""CarbonFlow's core: BPMN execution, persistence, use cases (services/) and what is read of them (read/).

Nothing in this package imports Flask, click or an entry point; the import contracts in pyproject.toml
(run by tests/unit/test_import_contracts.py) enforce it.
"""
