provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Application = "cartflow"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  repo_root = "${path.root}/../../.."

  # `make package` (build.py) writes dist/manifest.json: functions.<fn>.zip (file name in dist/)
  # and .source_code_hash (base64 SHA-256 of the zip), .architecture (what it was built for). Until it exists the local code source is
  # empty and the plan fails naming the function without code.
  manifest = try(jsondecode(file("${local.repo_root}/dist/manifest.json")), { functions = {} })

  # Both code sources have the same shape; the lambda_function module accepts exactly one kind.
  local_code = {
    for fn, artifact in local.manifest.functions : fn => {
      filename          = "${local.repo_root}/dist/${artifact.zip}"
      source_code_hash  = artifact.source_code_hash
      s3_bucket         = tostring(null)
      s3_key            = tostring(null)
      s3_object_version = tostring(null)
      architecture      = artifact.architecture
    }
  }

  # A published release (cartship): each zip pinned to its content-addressed key and S3 object
  # version in the artifact bucket, so the environment runs exactly the bytes that were promoted.
  release_file = "${local.repo_root}/${coalesce(var.release_manifest, "releases/${var.environment}.json")}"
  # Read only in release mode; a missing file then fails the plan naming it (run `make pull`).
  release_files = var.code_source == "release" ? [local.release_file] : []
  releases      = [for path in local.release_files : jsondecode(file(path))]

  release_code = merge([
    for release in local.releases : {
      for fn, artifact in release.functions : fn => {
        filename          = tostring(null)
        source_code_hash  = artifact.base64_sha256
        s3_bucket         = artifact.bucket
        s3_key            = artifact.key
        s3_object_version = artifact.version_id
        architecture      = artifact.architecture
      }
    }
  ]...)
}

module "cartflow" {
  source = "../../modules/cartflow"

  name          = "cartflow-${var.environment}"
  function_code = var.code_source == "local" ? tomap(local.local_code) : tomap(local.release_code)

  reminder_delay_seconds     = var.reminder_delay_seconds
  ses_max_send_rate          = var.ses_max_send_rate
  sender_email               = var.sender_email
  sender_identity            = var.sender_identity
  create_sender_identity     = var.create_sender_identity
  alarm_email                = var.alarm_email
  log_retention_in_days      = var.log_retention_in_days
  archive_retention_days     = var.archive_retention_days
  api                        = var.api
  api_throttling_rate_limit  = var.api_throttling_rate_limit
  api_throttling_burst_limit = var.api_throttling_burst_limit
  auth                       = var.auth
  api_authorization          = var.api_authorization
  ses_sandbox                = var.ses_sandbox
  sandbox_recipients         = var.sandbox_recipients
  permissions_boundary       = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/cartflow-boundary-${var.environment}"
  key_administrator_arns     = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/cartflow-deploy-${var.environment}"]
  deletion_protection        = var.deletion_protection
  snapstart                  = var.snapstart
  setting_overrides          = var.setting_overrides
}
