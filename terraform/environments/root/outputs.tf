output "api_url" {
  description = "Invoke URL of the cart API."
  value       = module.cartflow.api_url
}

output "event_bus_arn" {
  description = "ARN of the event bus."
  value       = module.cartflow.event_bus_arn
}

output "function_names" {
  description = "Deployed function names."
  value       = module.cartflow.function_names
}

output "dead_letter_queue_urls" {
  description = "Every DLQ, to inspect and redrive."
  value       = module.cartflow.dead_letter_queue_urls
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.cartflow.alarm_topic_arn
}

output "cognito_user_pool_id" {
  description = "Cognito user pool of the API's callers (null unless auth = \"cognito\")."
  value       = module.cartflow.cognito_user_pool_id
}

output "cognito_user_pool_client_id" {
  description = "App client shoppers sign in with (null unless auth = \"cognito\")."
  value       = module.cartflow.cognito_user_pool_client_id
}
