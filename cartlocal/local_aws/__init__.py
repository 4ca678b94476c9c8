"""moto as the local AWS: its server process, the endpoint the functions reach, and provisioning.

Also the fault proxy, which sits between a function and moto to answer the errors AWS would.
"""
