# One customer managed key for the stack's logs, queues, topic and table. IAM policies of the
# roles that use it go through the account statement; AWS services that encrypt on their own
# behalf (CloudWatch Logs, EventBridge delivering to queues, CloudWatch alarms publishing to the
# topic) are named here, each limited to this account.

locals {
  # What Terraform does with the key and through it when it creates, reads, updates, tags and
  # destroys the stack (docs/deploy-permissions.md, aws_kms_key and aws_kms_alias rows, and the
  # grants and data keys the log groups, queues, topic, table and functions ask for at creation).
  key_administration_actions = [
    "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription",
  ]
}

resource "aws_kms_key" "this" {
  description             = "cartflow ${var.name}: logs, queues, alarm topic, idempotency table"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "AccountAdministersAndDelegatesToIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      ],
      # The deploy role manages the key through the key policy itself, not through tag-based IAM
      # conditions: a new key's tags take up to five minutes to count for authorization, which
      # would deny the first apply's EnableKeyRotation and CreateGrant right after CreateKey.
      [for principals in [var.key_administrator_arns] : {
        Sid       = "DeployRoleAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = principals }
        Action    = local.key_administration_actions
        Resource  = "*"
      } if length(principals) > 0],
      [
        {
          Sid       = "CloudWatchLogsEncryptsThisStacksLogGroups"
          Effect    = "Allow"
          Principal = { Service = "logs.${local.region}.amazonaws.com" }
          Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
          Resource  = "*"
          Condition = {
            ArnLike = {
              "kms:EncryptionContext:aws:logs:arn" = [
                "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name}-*",
                "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name}-*",
              ]
            }
          }
        },
        {
          Sid       = "EventBridgeDeliversToEncryptedQueues"
          Effect    = "Allow"
          Principal = { Service = "events.amazonaws.com" }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        },
        {
          Sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
          Effect    = "Allow"
          Principal = { Service = "cloudwatch.amazonaws.com" }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        },
    ])
  })
  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = local.names.kms_alias
  target_key_id = aws_kms_key.this.key_id
}
