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

# The account has SES production access (docs/shipping.md), so any recipient.
ses_sandbox = false
# The account's SES sending rate (Service Quotas: a new production account typically starts at
# 14 per second); raise it here when AWS raises the quota.
ses_max_send_rate = 14

log_retention_in_days      = 90
archive_retention_days     = 365
api_throttling_rate_limit  = 200
api_throttling_burst_limit = 400
deletion_protection        = true

# Lambda SnapStart (terraform/README.md): the functions run behind asynchronous triggers, so a
# faster cold start shortens no wait a caller sees; one line turns it on.
snapstart = false

# "rest" validates every body and answers 5xx when EventBridge drops the event; "http" costs
# less per request but lets malformed events reach the bus (terraform/README.md).
api = "rest"
