# One instance of the reusable lambda_function module per stack.json function (each has a folder
# functions/<name>/ with its handler), configured entirely from the contract.

module "function" {
  source   = "../lambda_function"
  for_each = module.contract.functions

  function_name = each.value.name
  description   = each.value.description
  handler       = each.value.handler
  runtime       = each.value.runtime
  architecture  = each.value.architecture
  timeout       = each.value.timeout
  memory_size   = each.value.memory_size
  # A function without code fails the lambda_function module's validation, naming this instance.
  code = try(var.function_code[each.key], {})
  # Triggers invoke the module's alias, so SnapStart (which restores published versions only) applies.
  snapstart = var.snapstart

  environment_variables = module.contract.environment[each.key]
  policy_json           = module.contract.function_policies[each.key]
  attach_handler_policy = module.contract.function_has_handler_policy[each.key]
  runtime_policy_json   = module.contract.function_runtime_policies[each.key]

  kms_key_arn                    = aws_kms_key.this.arn
  permissions_boundary           = var.permissions_boundary
  log_retention_in_days          = var.log_retention_in_days
  tracing_mode                   = "Active"
  reserved_concurrent_executions = lookup(var.reserved_concurrency, each.key, -1)
  maximum_retry_attempts         = each.value.maximum_retry_attempts
  maximum_event_age_in_seconds   = each.value.maximum_event_age_in_seconds
  on_failure_destination_arn     = aws_sqs_queue.async_failure_dlq.arn
  tags                           = local.tags
}

# Each work queue feeds its consumer; records fail individually (ReportBatchItemFailures) so one
# bad reminder never blocks or redelivers its batch.
resource "aws_lambda_event_source_mapping" "queue" {
  for_each = module.contract.queues

  event_source_arn                   = aws_sqs_queue.this[each.key].arn
  function_name                      = module.function[each.value.consumer].alias_arn
  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = each.value.maximum_concurrency
  }

  tags = local.tags
}
