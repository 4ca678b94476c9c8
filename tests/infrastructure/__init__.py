"""Infrastructure tests: Terraform (static, contract, policies), security, resource names, CI workflows."""
