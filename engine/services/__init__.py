"""Use cases: one module per noun, one keyword-only function per verb, never committing.

Each takes the SQLAlchemy session of its caller's transaction and an explicit actor (username).
"""
