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
