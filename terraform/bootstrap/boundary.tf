# The permissions boundary of every role an environment's stack creates. The deploy role may
# create and change its stack's roles only with this boundary attached (deploy_stack.tf), and it
# cannot change the boundary itself (its name is outside <name_prefix>-<env>-*), so no inline
# policy it writes can lift a stack role beyond what the stack's own calls need, on that
# environment's resources: logs and traces, its bus, its schedules, its table, its queues, the
# KMS uses of those services, sending email, and passing its own roles to Scheduler.

resource "aws_iam_policy" "boundary" {
  for_each = toset(var.environments)

  name        = "${var.name_prefix}-boundary-${each.key}"
  description = "Permissions boundary of every role of ${local.stack_prefix[each.key]}."
  policy      = data.aws_iam_policy_document.boundary[each.key].json
}

data "aws_iam_policy_document" "boundary" {
  for_each = toset(var.environments)

  statement {
    sid = "TheStacksCallsOnItsOwnResources"
    actions = [
      "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
      "events:PutEvents", "logs:CreateLogStream", "logs:PutLogEvents",
      "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule",
      "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage",
    ]
    resources = [
      "${local.arn.dynamodb}:table/${local.stack_prefix[each.key]}-*",
      "${local.arn.events}:event-bus/${local.stack_prefix[each.key]}-*",
      "${local.arn.logs}:log-group:*${local.stack_prefix[each.key]}-*",
      "${local.arn.scheduler}:schedule/${local.stack_prefix[each.key]}-*/*",
      "${local.arn.sqs}:${local.stack_prefix[each.key]}-*",
    ]
  }

  # Identities are the sender's and, in the SES sandbox, the recipients'.
  statement {
    sid       = "SendEmail"
    actions   = ["ses:SendEmail"]
    resources = ["${local.arn.ses}:identity/*"]
  }

  # Key ids are random; every use goes through one of the stack's services.
  statement {
    sid       = "UseKeysThroughTheStacksServices"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["${local.arn.kms}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.region}.amazonaws.com", "sqs.${var.region}.amazonaws.com"]
    }
  }

  # Lambda decrypts a function's environment with the context of that function's ARN.
  statement {
    sid       = "DecryptOwnFunctionsEnvironment"
    actions   = ["kms:Decrypt"]
    resources = ["${local.arn.kms}:key/*"]

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:lambda:FunctionArn"
      values   = ["${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*"]
    }
  }

  statement {
    sid       = "PassOwnRolesToScheduler"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn.iam}:role/${local.stack_prefix[each.key]}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["scheduler.amazonaws.com"]
    }
  }

  # These support no resource-level permission (Service Authorization Reference).
  statement {
    sid       = "NoResourceLevelPermission"
    actions   = ["scheduler:ListSchedules", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }
}
