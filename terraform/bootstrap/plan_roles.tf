# Plan roles: one per environment, trusted only for the GitHub environment <env>-plan, which has
# no required reviewers. The workflow's plan job uses it to show approvers the saved plan before
# they approve the apply job, so it may read the stack, the state and the releases, and change
# nothing (it plans with -lock=false; a plan made stale by another apply is refused at apply).

locals {
  # Every read Terraform makes to refresh the stack (docs/deploy-permissions.md, "Read" column).
  stack_read_actions = [
    "apigateway:GET",
    "cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard", "cloudwatch:ListTagsForResource",
    "cognito-idp:DescribeUserPool", "cognito-idp:DescribeUserPoolClient", "cognito-idp:GetUserPoolMfaConfig",
    "cognito-idp:ListTagsForResource",
    "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeKinesisStreamingDestination", "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource",
    "events:DescribeArchive", "events:DescribeEventBus", "events:DescribeRule", "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
    "lambda:GetAlias", "lambda:GetEventSourceMapping", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration", "lambda:GetFunctionEventInvokeConfig",
    "lambda:GetFunctionRecursionConfig", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig", "lambda:ListTags",
    "lambda:ListVersionsByFunction",
    "logs:ListTagsForResource", "logs:ListTagsLogGroup",
    "scheduler:GetScheduleGroup", "scheduler:ListTagsForResource",
    "schemas:DescribeRegistry", "schemas:DescribeSchema", "schemas:ListSchemaVersions", "schemas:ListTagsForResource",
    "ses:GetConfigurationSet", "ses:GetConfigurationSetEventDestinations", "ses:GetEmailIdentity",
    "ses:ListTagsForResource",
    "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource",
    "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags",
  ]
}

resource "aws_iam_role" "plan" {
  for_each = toset(var.environments)

  name                 = "${var.name_prefix}-plan-${each.key}"
  description          = "GitHub Actions in environment ${each.key}-plan of ${var.github_repository}: plan ${local.stack_prefix[each.key]}-* (read only)."
  assume_role_policy   = data.aws_iam_policy_document.github_trust["plan-${each.key}"].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "plan" {
  for_each = toset(var.environments)

  name   = "plan-${local.stack_prefix[each.key]}"
  role   = aws_iam_role.plan[each.key].id
  policy = data.aws_iam_policy_document.plan[each.key].json
}

data "aws_iam_policy_document" "plan" {
  for_each = toset(var.environments)

  statement {
    sid       = "ListStateAndArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [local.state_arn, local.artifacts_arn]
  }

  statement {
    sid       = "ReadOwnState"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_arn}/${var.name_prefix}/${each.key}/*"]
  }

  # The release being promoted is read from the previous stage's pointer.
  statement {
    sid       = "ReadReleasesArtifactsAndPointers"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.artifacts_arn}/functions/*", "${local.artifacts_arn}/releases/*", "${local.artifacts_arn}/environments/*"]
  }

  statement {
    sid       = "UseTheBucketKeyThroughS3Only"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }

  # The same scopes as the deploy role's (REST API, user pool and key ids are random, so those
  # are the region's; reading their configuration reveals no data).
  statement {
    sid     = "ReadTheStack"
    actions = local.stack_read_actions
    resources = [
      "${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*",
      "${local.arn.lambda}:event-source-mapping:*",
      "${local.arn.events}:event-bus/${local.stack_prefix[each.key]}-*",
      "${local.arn.events}:rule/${local.stack_prefix[each.key]}-*/*",
      "${local.arn.events}:rule/${local.stack_prefix[each.key]}-*",
      "${local.arn.events}:archive/${local.stack_prefix[each.key]}-*",
      "${local.arn.scheduler}:schedule-group/${local.stack_prefix[each.key]}-*",
      "${local.arn.sqs}:${local.stack_prefix[each.key]}-*",
      "${local.arn.sns}:${local.stack_prefix[each.key]}-*",
      "${local.arn.dynamodb}:table/${local.stack_prefix[each.key]}-*",
      "${local.arn.logs}:log-group:*${local.stack_prefix[each.key]}-*",
      "${local.arn.logs}:log-group:API-Gateway-Execution-Logs_*",
      "${local.arn.cloudwatch}:alarm:${local.stack_prefix[each.key]}-*",
      "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${local.stack_prefix[each.key]}-*",
      "${local.arn.schemas}:registry/${local.stack_prefix[each.key]}-*",
      "${local.arn.schemas}:schema/${local.stack_prefix[each.key]}-*/*",
      "${local.arn.apigateway}/restapis",
      "${local.arn.apigateway}/restapis/*",
      "${local.arn.apigateway}/apis",
      "${local.arn.apigateway}/apis/*",
      "${local.arn.apigateway}/tags/*",
      "${local.arn.ses}:identity/*",
      "${local.arn.ses}:configuration-set/${local.stack_prefix[each.key]}-*",
      "${local.arn.iam}:role/${local.stack_prefix[each.key]}-*",
      "${local.arn.cognito}:userpool/*",
      "${local.arn.kms}:key/*",
    ]
  }

  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["${local.arn.logs}:log-group:*"]
  }

  statement {
    sid       = "FindKeyAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }
}
