output "statements" {
  description = "The boundary's statements (IAM JSON elements), for checks that read them one by one."
  value       = local.statements
}

output "json" {
  description = "The boundary as an IAM policy document (JSON)."
  value       = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}
