output "api_url" {
  description = "Invoke URL of the API (POST/DELETE {api_url}/cart, POST {api_url}/checkout): the REST API's stage, or the HTTP API's $default stage (no trailing slash either way)."
  value       = trimsuffix(one(concat(aws_api_gateway_stage.this[*].invoke_url, aws_apigatewayv2_stage.this[*].invoke_url)), "/")
}

output "event_bus_arn" {
  description = "ARN of the cartflow event bus."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "schedule_group" {
  description = "Name of the reminder schedule group."
  value       = aws_scheduler_schedule_group.reminders.name
}

output "function_names" {
  description = "Deployed name of each function, keyed by stack.json name."
  value       = { for fn, f in module.function : fn => f.function_name }
}

output "queue_urls" {
  description = "URL of each work queue, keyed by stack.json name."
  value       = { for q, queue in aws_sqs_queue.this : q => queue.url }
}

output "dead_letter_queue_urls" {
  description = "URL of every dead-letter queue."
  value = merge(
    { for q, queue in aws_sqs_queue.dlq : "${q}_dlq" => queue.url },
    {
      scheduler_dlq     = aws_sqs_queue.scheduler_dlq.url
      rule_target_dlq   = aws_sqs_queue.rule_target_dlq.url
      async_failure_dlq = aws_sqs_queue.async_failure_dlq.url
    },
  )
}

output "idempotency_table" {
  description = "Name of the idempotency table."
  value       = aws_dynamodb_table.idempotency.name
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "kms_key_arn" {
  description = "ARN of the stack's KMS key."
  value       = aws_kms_key.this.arn
}

output "cognito_user_pool_id" {
  description = "Id of the Cognito user pool whose ID tokens the API requires (null unless auth = \"cognito\")."
  value       = one(aws_cognito_user_pool.this[*].id)
}

output "cognito_user_pool_client_id" {
  description = "Id of the public app client shoppers sign in with (null unless auth = \"cognito\")."
  value       = one(aws_cognito_user_pool_client.this[*].id)
}
