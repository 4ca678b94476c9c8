"""AWS's authorization plane, locally: IAM policy evaluation, principals and the moto gate.

moto executes every request it receives; AWS first authorizes it. This package decides, from the
policies Terraform declares, whether AWS would let a principal make a request, so the local stack
denies exactly what an account would deny (docs/aws-fidelity.md, "Local authorization plane").
"""
