# The custom bus, its archive, and one rule + target per stack.json rule, each rule matching the
# contract's pattern file. Lambda targets get a permission scoped to their rule.

resource "aws_cloudwatch_event_bus" "this" {
  name = local.names.event_bus
  tags = local.tags
}

resource "aws_cloudwatch_event_archive" "this" {
  name             = local.names.event_archive
  description      = "Every cartflow event, for replay, and the reminders' SES email events the stack's rule forwards."
  event_source_arn = aws_cloudwatch_event_bus.this.arn
  event_pattern    = module.contract.archive_event_pattern
  retention_days   = var.archive_retention_days
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = module.contract.rules

  name           = each.value.name
  description    = each.value.description
  event_bus_name = aws_cloudwatch_event_bus.this.name
  event_pattern  = each.value.event_pattern
  state          = "ENABLED"
  tags           = local.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = module.contract.rules

  rule           = aws_cloudwatch_event_rule.this[each.key].name
  event_bus_name = aws_cloudwatch_event_bus.this.name
  target_id      = each.key
  arn            = each.value.target_type == "lambda" ? module.function[each.value.function].alias_arn : aws_sqs_queue.this[each.value.queue].arn

  retry_policy {
    maximum_event_age_in_seconds = each.value.retry.maximum_event_age_in_seconds
    maximum_retry_attempts       = each.value.retry.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.rule_target_dlq.arn
  }
}

resource "aws_lambda_permission" "events" {
  for_each = { for rule, spec in module.contract.rules : rule => spec if spec.target_type == "lambda" }

  statement_id   = "AllowEventBridgeRule-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = module.function[each.value.function].function_name
  qualifier      = module.function[each.value.function].alias_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.this[each.key].arn
  source_account = local.account_id
}
