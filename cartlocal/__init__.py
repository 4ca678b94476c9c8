"""cartflow's local runtime: the stack on moto, the real zips under the Lambda runtime client.

The tests use its provisioning too, so the resources handlers are tested against are created
from the contract exactly as the local stack (and, through Terraform, AWS) creates them.
"""
