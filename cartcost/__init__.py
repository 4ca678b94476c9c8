"""What a month of cartflow costs, offline, from an environment's own settings (``make cost``).

Modules, one job each: :mod:`.prices` reads a dated price table of one region (with its sources
and free tiers), :mod:`.deployment` reads what an environment deploys (terraform.tfvars, the
module defaults, the contract and the module's HCL), :mod:`.assumptions` holds the per-request
figures no setting decides, :mod:`.usage` turns a traffic shape into billable units,
:mod:`.estimate` prices them, :mod:`.report` prints the table and :mod:`.doc` writes
docs/cost.md with its chart. See docs/cost.md.
"""
