terraform {
  # Provider-free on purpose: the bootstrap attaches this document, and the local authorization
  # plane evaluates the same module offline (cartlocal/iam/boundary.py) to enforce it.
  required_version = ">= 1.10"
}
