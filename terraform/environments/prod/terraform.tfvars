environment = "prod"
region      = "eu-west-1"

# Code: the released artifact promoted from staging (pin each object version after release).
code_source              = "s3"
artifact_bucket          = "REPLACE-ME-cartflow-artifacts"
artifact_version         = "REPLACE-ME-release"
artifact_object_versions = {}

reminder_delay_seconds = 86400
# The domain is the verified identity in prod, managed outside this stack.
sender_email           = "reminders@cartflow.example"
sender_identity        = "cartflow.example"
create_sender_identity = false
alarm_email            = "cartflow-oncall@cartflow.example"

log_retention_in_days      = 90
archive_retention_days     = 365
api_throttling_rate_limit  = 200
api_throttling_burst_limit = 400
deletion_protection        = true
