# The sender identity; SES emails a verification link to it after apply. Off where the identity
# (or its domain) is managed elsewhere.

resource "aws_sesv2_email_identity" "sender" {
  count = var.create_sender_identity ? 1 : 0

  email_identity = var.sender_email
  tags           = local.tags
}
