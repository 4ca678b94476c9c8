"""At which rate cartflow stops keeping its promises, offline, from AWS's quotas (``make capacity``).

Every path runs into a per-account, per-Region quota long before it runs out of Lambda. Modules,
one job each: :mod:`.quotas` reads a dated quota table of one region (each figure with its source),
:mod:`.environment` what the model needs of an environment (and its own limits, as rows),
:mod:`.calls` lists the AWS calls one operation makes (the handlers' own, held by a test to what
they record against moto, and the platform's, derived from the contract), :mod:`.consumption`
turns those calls into units of each quota, :mod:`.model` finds what each quota carries at a
rate and the first one that binds on each path, :mod:`.designs` weighs checkouts that never
list, :mod:`.burst` predicts how long a burst of due reminders takes to drain, :mod:`.report`
prints the table and :mod:`.doc` writes docs/capacity.md with its chart.
It shares cartcost's reading of an environment, its durations and its price table.
"""
