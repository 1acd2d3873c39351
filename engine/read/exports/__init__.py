"""Exports for auditors and verifiers to read offline: CSV, XLSX and PDF, each stating the audit chain's check."""
