environment = "dev"
region      = "eu-west-1"

# Code: left to code_source's default ("local": the zips `make package` wrote to dist/), because
# terraform.tfvars outranks TF_VAR_ variables and the pipeline sets TF_VAR_code_source=release.

# Short delay so a developer sees the reminder the same hour.
reminder_delay_seconds = 300
sender_email           = "reminders-dev@cartflow.example"
create_sender_identity = true
alarm_email            = null

# The account's SES is in the sandbox: SES also authorizes each recipient, so reminders go only
# to these verified identities (docs/shipping.md: SES production access).
ses_sandbox = true
# The sandbox's sending rate: SES quota 1 email per second until production access.
ses_max_send_rate  = 1
sandbox_recipients = ["qa@cartflow.example"]

log_retention_in_days      = 14
archive_retention_days     = 7
api_throttling_rate_limit  = 10
api_throttling_burst_limit = 20
deletion_protection        = false

# Lambda SnapStart (terraform/README.md): the functions run behind asynchronous triggers, so a
# faster cold start shortens no wait a caller sees; one line turns it on.
snapstart = false

# "rest" validates every body and answers 5xx when EventBridge drops the event; "http" costs
# less per request but lets malformed events reach the bus (terraform/README.md).
api = "rest"

setting_overrides = {
  POWERTOOLS_LOG_LEVEL = "DEBUG"
}
