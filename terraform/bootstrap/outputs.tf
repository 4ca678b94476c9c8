output "state_bucket" {
  description = "Bucket of every environment's Terraform state (the bucket of each environment's backend.hcl)."
  value       = aws_s3_bucket.this["state"].id
}

output "artifact_bucket" {
  description = "Bucket of function zips, release manifests and environment pointers (CARTSHIP_BUCKET)."
  value       = aws_s3_bucket.this["artifacts"].id
}

output "access_log_bucket" {
  description = "Bucket receiving the S3 server access logs of the state and artifact buckets."
  value       = aws_s3_bucket.access_logs.id
}

output "kms_key_arn" {
  description = "KMS key encrypting the state and artifact buckets (kms_key_id of each backend.hcl)."
  value       = aws_kms_key.this.arn
}

output "github_oidc_provider_arn" {
  description = "The account's GitHub Actions OIDC identity provider."
  value       = local.github_oidc_provider_arn
}

output "publish_role_arn" {
  description = "Role of the publish job (GitHub repository variable AWS_PUBLISH_ROLE_ARN)."
  value       = aws_iam_role.publish.arn
}

output "deploy_role_arns" {
  description = "Deploy role per environment (GitHub environment variable AWS_DEPLOY_ROLE_ARN of each)."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "plan_role_arns" {
  description = "Plan role per environment (GitHub environment variable AWS_PLAN_ROLE_ARN of each <env>-plan environment)."
  value       = { for env, role in aws_iam_role.plan : env => role.arn }
}

output "permissions_boundary_arns" {
  description = "Permissions boundary every role of each environment's stack must carry."
  value       = { for env, policy in aws_iam_policy.boundary : env => policy.arn }
}

output "backend_config" {
  description = "Contents of terraform/environments/<env>/backend.hcl for each environment."
  value = {
    for env in var.environments : env => {
      bucket       = aws_s3_bucket.this["state"].id
      key          = "${var.name_prefix}/${env}/terraform.tfstate"
      region       = var.region
      encrypt      = true
      kms_key_id   = aws_kms_key.this.arn
      use_lockfile = true
    }
  }
}
