"""cartflow's shared domain package.

It exists so the three functions, the local runtime and the tests share one copy of the
contract (event names, schemas, patterns, settings) and of the domain rules (schedule naming,
reminder identity). build.py vendors this package, with its contract files, into every zip.
"""
