environment = "dev"
region      = "eu-west-1"

# Code: left to code_source's default ("local": the zips `make package` wrote to dist/), because
# terraform.tfvars outranks TF_VAR_ variables and the pipeline sets TF_VAR_code_source=release.

# Short delay so a developer sees the reminder the same hour.
reminder_delay_seconds = 300
sender_email           = "reminders-dev@cartflow.example"
create_sender_identity = true
alarm_email            = null

# API Gateway writes access and execution logs only once the region's CloudWatch role is set; this
# stack owns that account-wide setting. If environments share an account and region, keep it true
# in exactly one of them (the longest-lived).
manage_api_gateway_account = true

log_retention_in_days      = 14
archive_retention_days     = 7
api_throttling_rate_limit  = 10
api_throttling_burst_limit = 20
deletion_protection        = false

setting_overrides = {
  POWERTOOLS_LOG_LEVEL = "DEBUG"
}
