"""Code the tests share: plain functions and classes, imported by name (conftest.py holds fixtures only)."""
