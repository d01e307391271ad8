"""Shared contracts: value types, reference data and message schemas."""
