"""Unit tests: the cartflow domain, the contract, and each handler on in-process moto."""
