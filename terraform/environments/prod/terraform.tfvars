environment = "prod"
region      = "eu-west-1"

# Code: the published release this environment points at (`make pull ENV=prod` writes
# releases/prod.json: bucket, content-addressed key and object version of every zip).
code_source = "release"

reminder_delay_seconds = 86400
# The domain is the verified identity in prod, managed outside this stack.
sender_email           = "reminders@cartflow.example"
sender_identity        = "cartflow.example"
create_sender_identity = false
alarm_email            = "cartflow-oncall@cartflow.example"

# API Gateway writes access and execution logs only once the region's CloudWatch role is set; this
# stack owns that account-wide setting. If environments share an account and region, keep it true
# in exactly one of them (the longest-lived).
manage_api_gateway_account = true

log_retention_in_days      = 90
archive_retention_days     = 365
api_throttling_rate_limit  = 200
api_throttling_burst_limit = 400
deletion_protection        = true
