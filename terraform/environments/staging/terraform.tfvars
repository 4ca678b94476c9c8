environment = "staging"
region      = "eu-west-1"

# Code: the published release this environment points at (`make pull ENV=staging` writes
# releases/staging.json: bucket, content-addressed key and object version of every zip).
code_source = "release"

reminder_delay_seconds = 3600
sender_email           = "reminders-staging@cartflow.example"
create_sender_identity = true
alarm_email            = "cartflow-alerts@cartflow.example"

# The account's SES is in the sandbox: SES also authorizes each recipient, so reminders go only
# to these verified identities (docs/shipping.md: SES production access).
ses_sandbox = true
# The sandbox's sending rate: SES quota 1 email per second until production access.
ses_max_send_rate  = 1
sandbox_recipients = ["qa@cartflow.example"]

log_retention_in_days      = 30
archive_retention_days     = 30
api_throttling_rate_limit  = 50
api_throttling_burst_limit = 100
deletion_protection        = true

# Lambda SnapStart (terraform/README.md): the functions run behind asynchronous triggers, so a
# faster cold start shortens no wait a caller sees; one line turns it on.
snapstart = false

# "rest" validates every body and answers 5xx when EventBridge drops the event; "http" costs
# less per request but lets malformed events reach the bus (terraform/README.md).
api = "rest"
