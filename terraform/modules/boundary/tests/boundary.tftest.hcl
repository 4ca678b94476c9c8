# Offline tests of the provider-free boundary module: `terraform init -backend=false && terraform test`.

variables {
  region       = "eu-west-1"
  account_id   = "123456789012"
  stack_prefix = "cartflow-dev"
}

run "every_statement_is_scoped_to_the_stack_or_to_actions_without_resources" {
  command = plan

  assert {
    condition     = jsondecode(output.json).Version == "2012-10-17"
    error_message = "A boundary is an IAM policy document."
  }
  assert {
    condition = alltrue([
      for statement in output.statements : alltrue([
        for resource in statement.Resource : resource == "*" || startswith(resource, "arn:aws:")
      ])
    ])
    error_message = "Every resource is an ARN of the partition, or * for actions without resource types."
  }
  assert {
    condition     = alltrue([for statement in output.statements : statement.Effect == "Allow"])
    error_message = "A boundary only caps: every statement allows."
  }
}
