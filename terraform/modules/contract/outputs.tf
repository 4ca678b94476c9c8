output "stack" {
  description = "stack.json, decoded."
  value       = local.stack
}

output "events" {
  description = "events.json, decoded: every event type on the bus."
  value       = local.events.events
}

output "registry_schemas" {
  description = "Schema Registry entries keyed \"<source>@<DetailType>\": description and content (JSON Schema draft 4 of the whole event, its detail the contract's schema)."
  value       = local.registry_schemas
}

output "alarms" {
  description = "CloudWatch alarms keyed by a short name: description, namespace, metric and dimensions (AWS's documented ones, or what Powertools emits)."
  value       = local.alarms
}

output "dashboard_body" {
  description = "CloudWatch dashboard (JSON): a widget per function, queue, rule, the schedule group and the custom metrics."
  value       = jsonencode({ widgets = local.dashboard_widgets })
}

output "names" {
  description = "Name of every resource of this deployment, derived from var.name."
  value       = local.names
}

output "arns" {
  description = "ARNs derived from the names (bus, schedules in the group, scheduler role, queues, table, sender identity, functions)."
  value       = local.arns
}

output "functions" {
  description = "stack.json functions, each with its deployed name."
  value       = { for fn, spec in local.stack.functions : fn => merge(spec, { name = local.names.functions[fn] }) }

  precondition {
    condition     = length(local.architecture_mismatches) == 0
    error_message = "These zips were built for another architecture than stack.json declares (rebuild with make package): ${join(", ", local.architecture_mismatches)}."
  }
}

output "rules" {
  description = "One entry per stack.json rule: deployed name, description, event_pattern (the pattern file's text), target type, function or queue, retry policy."
  value       = local.rules
}

output "queues" {
  description = "stack.json queues with deployed names and visibility_timeout_seconds = consumer timeout x visibility_timeout_per_function_timeout."
  value       = local.queues
}

output "scheduler" {
  description = "stack.json scheduler settings (retry, action after completion, name prefix)."
  value       = local.stack.scheduler
}

output "archive_event_pattern" {
  description = "JSON event pattern of the bus archive (stack.json bus.archive_event_pattern)."
  value       = jsonencode(local.stack.bus.archive_event_pattern)
}

output "routes" {
  description = "API routes keyed \"METHOD /path\": model name, schema JSON text (with auth = \"cognito\", user and email are not required), whether the Cognito authorizer guards it, rendered PutEvents request template."
  value       = local.routes
}

output "http_routes" {
  description = "HTTP API routes keyed \"METHOD /path\": route key, the EventBridge-PutEvents integration's request parameters (EventBusName, Source, DetailType, Detail built from the body's fields, the request id and time), whether the JWT (Cognito) authorizer guards it."
  value       = local.http_routes
}

output "api_templates" {
  description = "Response, failure and bad-request-body mapping templates (VTL text)."
  value       = local.api_templates
}

output "response_schema_json" {
  description = "JSON Schema (text) of every API response body."
  value       = local.response_schema_json
}

output "max_body_bytes" {
  description = "Largest request body the API accepts (routes.json max_body_bytes)."
  value       = local.api.max_body_bytes
}

output "environment" {
  description = "Environment variables per function: exactly the names stack.json lists for it, valued from setting_values or the contract default."
  value       = local.environment

  precondition {
    condition     = length(local.missing_settings) == 0
    error_message = "These function settings have no value (set them in setting_values): ${join(", ", local.missing_settings)}."
  }
  precondition {
    condition     = length(local.overridden_derived) == 0
    error_message = "setting_values may not set ${join(", ", sort(tolist(local.overridden_derived)))}: its value is derived from the stack's name."
  }
  precondition {
    condition     = length(local.unknown_settings) == 0
    error_message = "setting_values names settings stack.json does not declare: ${join(", ", sort(tolist(local.unknown_settings)))}."
  }
}

output "function_policy_statements" {
  description = "IAM statements per function (sid, actions, resources, condition) as data."
  value       = local.all_function_statements
}

output "function_policies" {
  description = "IAM policy document (JSON) per function: everything the handler calls, on this deployment's resources only."
  value       = local.policy_documents.functions

  precondition {
    condition     = length(setsubtract(keys(local.function_statements), keys(local.stack.functions))) == 0
    error_message = "IAM statements are written for functions stack.json does not declare: ${join(", ", sort(tolist(setsubtract(keys(local.function_statements), keys(local.stack.functions)))))}."
  }
}

output "function_has_handler_policy" {
  description = "Per function, whether its handler policy has any statement: derived from the statement list, not the document's text, so it is known at plan time even while the stack key's ARN is not."
  value       = { for fn, statements in local.all_function_statements : fn => length(statements) > 0 }
}

output "scheduler_role_policy" {
  description = "IAM policy document (JSON) of the role EventBridge Scheduler assumes."
  value       = local.policy_documents.scheduler_role
}

output "api_role_policy" {
  description = "IAM policy document (JSON) of the role API Gateway assumes to call PutEvents."
  value       = local.policy_documents.api_role
}

output "actions_without_resource_types" {
  description = "IAM actions granted on Resource \"*\" because they support no resource-level permission, with the reason."
  value       = local.actions_without_resource_types
}

output "ses_events_role_policy" {
  description = "IAM policy document (JSON) of the role EventBridge assumes to forward SES's email events to the stack's bus."
  value       = local.ses_events_role_policy
}

output "trust_policies" {
  description = "Trust policy documents (JSON) of the API role, the Scheduler role and the SES events forwarding role."
  value       = local.trust_policies
}

output "queue_policies" {
  description = "SQS queue policy document (JSON) per work queue: EventBridge may send only for the rules targeting it."
  value       = local.queue_policies
}

output "rule_target_dlq_policy" {
  description = "SQS queue policy document (JSON) of the rule targets' dead-letter queue."
  value       = local.rule_target_dlq_policy
}

output "kms_key_policy" {
  description = "Key policy document (JSON) of the stack's KMS key. Depends on no key ARN, so the key can use it."
  value       = local.kms_key_policy
}

output "function_runtime_policies" {
  description = "IAM policy document (JSON) per function of what every function needs whatever its handler does: own logs, X-Ray, its environment's key, the on-failure destination."
  value       = local.function_runtime_policies
}
