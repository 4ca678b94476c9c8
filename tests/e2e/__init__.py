"""End to end: the local stack running the real zips (journey, reliability, faults, shipping, bench)."""
