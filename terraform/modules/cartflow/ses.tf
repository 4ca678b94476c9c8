# The sender identity; SES emails a verification link to it after apply. Off where the identity
# (or its domain) is managed elsewhere.

resource "aws_sesv2_email_identity" "sender" {
  count = var.create_sender_identity ? 1 : 0

  email_identity = var.sender_email
  tags           = local.tags
}

# Every reminder is sent with this configuration set: a bounce or complaint puts the recipient on
# the account's suppression list (SES then never emails them again), and SES's email events reach
# the bus. SES publishes them to the default bus only, so a rule there forwards this set's events
# to the stack's bus, whose archive keeps them (events.tf; bus.archive_event_pattern).
resource "aws_sesv2_configuration_set" "reminders" {
  configuration_set_name = local.names.ses_configuration

  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }

  delivery_options {
    tls_policy = "REQUIRE"
  }

  tags = local.tags
}

resource "aws_sesv2_configuration_set_event_destination" "bus" {
  configuration_set_name = aws_sesv2_configuration_set.reminders.configuration_set_name
  event_destination_name = "bus"

  event_destination {
    enabled              = true
    matching_event_types = ["BOUNCE", "COMPLAINT", "REJECT", "DELIVERY"]

    event_bridge_destination {
      event_bus_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"
    }
  }
}

resource "aws_cloudwatch_event_rule" "ses_events" {
  name        = local.names.ses_events_rule
  description = "Email events of ${local.names.ses_configuration}, forwarded from the default bus to ${local.names.event_bus}."
  event_pattern = jsonencode({
    source = ["aws.ses"]
    detail = { mail = { tags = { "ses:configuration-set" = [local.names.ses_configuration] } } }
  })
  state = "ENABLED"
  tags  = local.tags
}

resource "aws_cloudwatch_event_target" "ses_events" {
  rule      = aws_cloudwatch_event_rule.ses_events.name
  target_id = "stack-bus"
  arn       = aws_cloudwatch_event_bus.this.arn
  role_arn  = aws_iam_role.ses_events.arn
}

resource "aws_iam_role" "ses_events" {
  name                 = local.names.ses_events_role
  description          = "Assumed by EventBridge to forward SES email events to ${local.names.event_bus}."
  permissions_boundary = var.permissions_boundary
  assume_role_policy   = module.contract.trust_policies.ses_events_role
  tags                 = local.tags
}

resource "aws_iam_role_policy" "ses_events" {
  name   = "forward-to-the-stack-bus"
  role   = aws_iam_role.ses_events.id
  policy = module.contract.ses_events_role_policy
}
