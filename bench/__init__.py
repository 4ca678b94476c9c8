"""cartflow's benchmarks: `make bench` (python -m bench) measures each row against its anchor.

Measurements, not tests: nothing here asserts a time. Every row is ours vs an anchor measured in
the same run on the same machine, so the ratio survives the noise of shared CPUs.
"""
