output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "alias_name" {
  description = "Name of the alias the triggers invoke."
  value       = aws_lambda_alias.live.name
}

output "alias_arn" {
  description = "Qualified ARN of the alias: what event source mappings and rule targets invoke."
  value       = aws_lambda_alias.live.arn
}

output "invoke_arn" {
  description = "ARN to invoke the function from API Gateway."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "runtime_policy_json" {
  description = "The policy this module adds to the handler's (logs, tracing, environment decryption, failure destination)."
  value       = aws_iam_role_policy.runtime.policy
}
