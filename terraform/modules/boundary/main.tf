# The permissions boundary of every role of one environment's stack, as a policy document. The
# bootstrap attaches it (terraform/bootstrap/boundary.tf); the local authorization plane reads the
# same output and intersects it with each stack role's own policies, as IAM does.
#
# Only calls the stack makes, on that environment's resources: logs and traces, its bus, its
# schedules, its table, its queues, the KMS uses of those services, sending email, and passing its
# own roles to Scheduler.

locals {
  arn = {
    for service in ["dynamodb", "events", "kms", "lambda", "logs", "scheduler", "ses", "sqs"] :
    service => "arn:${var.partition}:${service}:${var.region}:${var.account_id}"
  }
  iam = "arn:${var.partition}:iam::${var.account_id}"

  statements = [
    {
      Sid    = "TheStacksCallsOnItsOwnResources"
      Effect = "Allow"
      Action = [
        "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "events:PutEvents", "logs:CreateLogStream", "logs:PutLogEvents",
        "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule",
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage",
      ]
      Resource = [
        "${local.arn.dynamodb}:table/${var.stack_prefix}-*",
        "${local.arn.events}:event-bus/${var.stack_prefix}-*",
        "${local.arn.logs}:log-group:*${var.stack_prefix}-*",
        "${local.arn.scheduler}:schedule/${var.stack_prefix}-*/*",
        "${local.arn.sqs}:${var.stack_prefix}-*",
      ]
    },
    # SES v2 authorizes SendEmail against every identity it involves (the sender's and, in the
    # SES sandbox, the recipients') and against the configuration set the request names (Service
    # Authorization Reference, SES v2: SendEmail's resource types are identity and
    # configuration-set). send_reminder names the stack's set in every send, so without the set
    # here every send is AccessDeniedException, whatever the role's own policy grants.
    {
      Sid    = "SendEmail"
      Effect = "Allow"
      Action = ["ses:SendEmail"]
      Resource = [
        "${local.arn.ses}:identity/*",
        "${local.arn.ses}:configuration-set/${var.stack_prefix}-*",
      ]
    },
    # Key ids are random; every use goes through one of the stack's services.
    {
      Sid       = "UseKeysThroughTheStacksServices"
      Effect    = "Allow"
      Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
      Resource  = ["${local.arn.kms}:key/*"]
      Condition = { StringEquals = { "kms:ViaService" = ["dynamodb.${var.region}.amazonaws.com", "sqs.${var.region}.amazonaws.com"] } }
    },
    # Lambda decrypts a function's environment with the context of that function's ARN.
    {
      Sid       = "DecryptOwnFunctionsEnvironment"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = ["${local.arn.kms}:key/*"]
      Condition = { StringLike = { "kms:EncryptionContext:aws:lambda:FunctionArn" = ["${local.arn.lambda}:function:${var.stack_prefix}-*"] } }
    },
    {
      Sid       = "PassOwnRolesToScheduler"
      Effect    = "Allow"
      Action    = ["iam:PassRole"]
      Resource  = ["${local.iam}:role/${var.stack_prefix}-*"]
      Condition = { StringEquals = { "iam:PassedToService" = ["scheduler.amazonaws.com"] } }
    },
    # These support no resource-level permission (Service Authorization Reference).
    {
      Sid       = "NoResourceLevelPermission"
      Effect    = "Allow"
      Action    = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      Resource  = ["*"]
      Condition = { StringEquals = { "aws:RequestedRegion" = [var.region] } }
    },
  ]
}
