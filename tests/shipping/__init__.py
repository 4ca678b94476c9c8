"""Shipping tests: cartship publishing, entering and promoting releases against moto's S3."""
