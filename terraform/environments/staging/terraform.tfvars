environment = "staging"
region      = "eu-west-1"

# Code: the published release this environment points at (`make pull ENV=staging` writes
# releases/staging.json: bucket, content-addressed key and object version of every zip).
code_source = "release"

reminder_delay_seconds = 3600
sender_email           = "reminders-staging@cartflow.example"
create_sender_identity = true
alarm_email            = "cartflow-alerts@cartflow.example"

# API Gateway writes access and execution logs only once the region's CloudWatch role is set; this
# stack owns that account-wide setting. If environments share an account and region, keep it true
# in exactly one of them (the longest-lived).
manage_api_gateway_account = true

log_retention_in_days      = 30
archive_retention_days     = 30
api_throttling_rate_limit  = 50
api_throttling_burst_limit = 100
deletion_protection        = true
