"""Helpers the tests share: real stacks and servers, waits on conditions, role tables, payload builders.

Fixtures live in tests/conftest.py; everything a test imports lives here."""
