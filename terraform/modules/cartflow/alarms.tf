# Alarms on everything that means a customer lost a reminder or a request: any message in a DLQ,
# any function error, any API 5xx. All notify one encrypted SNS topic.

resource "aws_sns_topic" "alarms" {
  name              = local.names.alarm_topic
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = local.dead_letter_queues

  alarm_name          = "${each.value}-not-empty"
  alarm_description   = "Messages are waiting in ${each.value}: inspect, fix, then redrive them."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = module.function

  alarm_name          = "${each.value.function_name}-errors"
  alarm_description   = "${each.value.function_name} failed invocations."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name        = "${local.names.api}-5xx"
  alarm_description = "The API answered 5xx: an event may not have reached the bus."
  namespace         = "AWS/ApiGateway"
  # REST and HTTP APIs publish their 5xx count under different names and dimensions.
  metric_name = local.rest_api ? "5XXError" : "5xx"
  dimensions = (local.rest_api
    ? { ApiName = aws_api_gateway_rest_api.this[0].name, Stage = aws_api_gateway_stage.this[0].stage_name }
    : { ApiId = aws_apigatewayv2_api.this[0].id, Stage = aws_apigatewayv2_stage.this[0].name }
  )
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

# The failures that matter most in an event-driven design, from module.contract: events the
# contract rejects, emails SES refuses, EventBridge deliveries that failed or were dead-lettered
# per rule, reminders Scheduler could not deliver or dropped.
resource "aws_cloudwatch_metric_alarm" "contract" {
  for_each = module.contract.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

# A work queue whose oldest message waited longer than the queue allows: its consumer falls behind
# (e.g. reminders pile up behind SES's sending rate). A reminder sent back to wait is a new message,
# so this watches the backlog that was never tried, not each reminder's whole wait.
resource "aws_cloudwatch_metric_alarm" "queue_age" {
  for_each = module.contract.queues

  alarm_name          = "${each.value.name}-falling-behind"
  alarm_description   = "The oldest message in ${each.value.name} is older than ${each.value.oldest_message_alarm_seconds} s: its consumer cannot keep up."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.oldest_message_alarm_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

# One page per stack: every function, queue, rule and the schedule group, as the contract lists them.
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.names.dashboard
  dashboard_body = module.contract.dashboard_body
}
