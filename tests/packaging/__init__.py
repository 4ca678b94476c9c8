"""Packaging tests: build.py/cartbuild zips and the hash-pinned locks."""
