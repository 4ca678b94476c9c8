# What an environment's Terraform (and the smoke test's temporary rule and queue) may manage:
# only resources named <name_prefix>-<env>-..., one statement per service. Where an AWS action
# has no resource-level permission at all, the statement names "*" and narrows it by condition.

data "aws_iam_policy_document" "deploy_stack" {
  for_each = toset(var.environments)

  statement {
    sid = "Functions"
    actions = [
      "lambda:AddPermission", "lambda:CreateAlias", "lambda:CreateFunction", "lambda:DeleteAlias", "lambda:DeleteFunction",
      "lambda:DeleteFunctionConcurrency", "lambda:DeleteFunctionEventInvokeConfig", "lambda:GetAlias", "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration",
      "lambda:GetFunctionEventInvokeConfig", "lambda:GetFunctionRecursionConfig", "lambda:GetPolicy",
      "lambda:GetRuntimeManagementConfig", "lambda:ListTags", "lambda:ListVersionsByFunction", "lambda:PublishVersion",
      "lambda:PutFunctionConcurrency", "lambda:PutFunctionEventInvokeConfig", "lambda:RemovePermission",
      "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateAlias", "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionEventInvokeConfig",
    ]
    # Qualified ARNs (function:<name>:live, :<version>) match the same pattern: aliases and versions.
    resources = ["${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*"]
  }

  # Event source mappings are named by a random UUID; the function they feed is the scope.
  # Only Delete and Update carry lambda:FunctionArn; Get carries no such key, so under this
  # condition it would be denied (docs/aws-fidelity.md, "Deploy roles").
  statement {
    sid       = "EventSourceMappingsOfOwnFunctions"
    actions   = ["lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"]
    resources = ["${local.arn.lambda}:event-source-mapping:*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*"]
    }
  }

  # Terraform reads a mapping back after creating it and while destroying it, and the provider's
  # default_tags tag mappings too; none of these takes a lambda:FunctionArn condition, so they are
  # scoped to this account's and region's mappings (reading one or its tags grants no access).
  statement {
    sid       = "ReadAndTagEventSourceMappings"
    actions   = ["lambda:GetEventSourceMapping", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
    resources = ["${local.arn.lambda}:event-source-mapping:*"]
  }

  statement {
    sid       = "CreateEventSourceMappingsOfOwnFunctions"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  statement {
    sid = "EventBusRulesArchives"
    actions = [
      "events:CreateArchive", "events:CreateEventBus", "events:DeleteArchive", "events:DeleteEventBus", "events:DeleteRule",
      "events:DescribeArchive", "events:DescribeEventBus", "events:DescribeRule", "events:ListTagsForResource",
      "events:ListTargetsByRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource",
      "events:UntagResource", "events:UpdateArchive", "events:UpdateEventBus",
    ]
    resources = [
      "${local.arn.events}:event-bus/${local.stack_prefix[each.key]}-*",
      "${local.arn.events}:rule/${local.stack_prefix[each.key]}-*/*",
      "${local.arn.events}:rule/${local.stack_prefix[each.key]}-*",
      "${local.arn.events}:archive/${local.stack_prefix[each.key]}-*",
    ]
  }

  statement {
    sid = "ScheduleGroup"
    actions = [
      "scheduler:CreateScheduleGroup", "scheduler:DeleteScheduleGroup", "scheduler:GetScheduleGroup",
      "scheduler:ListTagsForResource", "scheduler:TagResource", "scheduler:UntagResource",
    ]
    resources = ["${local.arn.scheduler}:schedule-group/${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid = "Queues"
    actions = [
      "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
      "sqs:ListQueueTags", "sqs:ReceiveMessage", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue",
    ]
    resources = ["${local.arn.sqs}:${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid = "AlarmTopic"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:SetTopicAttributes", "sns:Subscribe",
      "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource",
    ]
    resources = ["${local.arn.sns}:${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid = "IdempotencyTable"
    actions = [
      "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeKinesisStreamingDestination", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive",
    ]
    resources = ["${local.arn.dynamodb}:table/${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid = "LogGroups"
    actions = [
      "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey", "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:PutRetentionPolicy",
      "logs:TagResource", "logs:UntagResource",
    ]
    # The REST stage's execution-log group is named by the API's random id (as the APIs
    # themselves, the region's such groups are the narrowest nameable scope).
    resources = [
      "${local.arn.logs}:log-group:*${local.stack_prefix[each.key]}-*",
      "${local.arn.logs}:log-group:API-Gateway-Execution-Logs_*",
    ]
  }

  # Terraform reads a log group back by listing the region's log groups by name prefix.
  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["${local.arn.logs}:log-group:*"]
  }

  statement {
    sid = "Alarms"
    actions = [
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]
    resources = ["${local.arn.cloudwatch}:alarm:${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid = "SesConfigurationSet"
    actions = [
      "ses:CreateConfigurationSet", "ses:CreateConfigurationSetEventDestination", "ses:DeleteConfigurationSet",
      "ses:DeleteConfigurationSetEventDestination", "ses:GetConfigurationSet", "ses:GetConfigurationSetEventDestinations",
      "ses:ListTagsForResource", "ses:PutConfigurationSetDeliveryOptions", "ses:PutConfigurationSetSuppressionOptions",
      "ses:TagResource", "ses:UntagResource", "ses:UpdateConfigurationSetEventDestination",
    ]
    resources = ["${local.arn.ses}:configuration-set/${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid       = "Dashboard"
    actions   = ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"]
    resources = ["arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${local.stack_prefix[each.key]}-*"]
  }

  statement {
    sid = "SchemaRegistry"
    actions = [
      "schemas:CreateRegistry", "schemas:CreateSchema", "schemas:DeleteRegistry", "schemas:DeleteSchema",
      "schemas:DescribeRegistry", "schemas:DescribeSchema", "schemas:ListSchemaVersions", "schemas:ListTagsForResource",
      "schemas:TagResource", "schemas:UntagResource", "schemas:UpdateRegistry", "schemas:UpdateSchema",
    ]
    resources = [
      "${local.arn.schemas}:registry/${local.stack_prefix[each.key]}-*",
      "${local.arn.schemas}:schema/${local.stack_prefix[each.key]}-*/*",
    ]
  }

  # API ids are random, so the region's REST APIs (api = "rest") and HTTP APIs (/apis, api =
  # "http") are the narrowest nameable scope.
  statement {
    sid     = "Api"
    actions = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
    resources = [
      "${local.arn.apigateway}/restapis", "${local.arn.apigateway}/restapis/*",
      "${local.arn.apigateway}/apis", "${local.arn.apigateway}/apis/*",
      "${local.arn.apigateway}/tags/*",
    ]
  }

  # An HTTP API stage's access logging (api = "http") is set up by CloudWatch Logs log delivery
  # with the caller's permissions: creating, changing or deleting the stage calls these (AWS,
  # "Configuring logging for an HTTP API"). None has a resource type, so "*" in this region.
  statement {
    sid = "HttpApiAccessLogDelivery"
    actions = [
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  # The smoke test (cartship/smoke.py) adds and removes an item through the IAM-authorized API.
  statement {
    sid       = "SmokeTestCallsTheCartApi"
    actions   = ["execute-api:Invoke"]
    resources = ["${local.arn.executeapi}:*/*/POST/cart", "${local.arn.executeapi}:*/*/DELETE/cart"]
  }

  # The sender identity's address is a per-environment setting, so identities in general.
  statement {
    sid = "SenderIdentity"
    actions = [
      "ses:CreateEmailIdentity", "ses:DeleteEmailIdentity", "ses:GetEmailIdentity", "ses:ListTagsForResource",
      "ses:TagResource", "ses:UntagResource",
    ]
    resources = ["${local.arn.ses}:identity/*"]
  }

  # The stack's roles: each must carry this environment's permissions boundary, which the deploy
  # role can neither change nor remove (the bootstrap owns it), so whatever inline policy the
  # deploy role writes, the role can do no more than the boundary allows.
  statement {
    sid = "CreateAndChangeOwnRolesOnlyWithTheBoundary"
    actions = [
      "iam:CreateRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    ]
    resources = ["${local.arn.iam}:role/${local.stack_prefix[each.key]}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.boundary[each.key].arn]
    }
  }

  # No IAM condition key reads a trust policy's principals: the stack's trust policies are reviewed
  # in code, and a changed trust still only reaches what the boundary allows.
  statement {
    sid = "ReadTagAndDeleteOwnRoles"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    resources = ["${local.arn.iam}:role/${local.stack_prefix[each.key]}-*"]
  }

  # User pool ids are random, so the region's user pools are the narrowest nameable scope.
  statement {
    sid = "UserPools"
    actions = [
      "cognito-idp:CreateUserPoolClient", "cognito-idp:DeleteUserPool", "cognito-idp:DeleteUserPoolClient",
      "cognito-idp:DescribeUserPool", "cognito-idp:DescribeUserPoolClient", "cognito-idp:GetUserPoolMfaConfig",
      "cognito-idp:ListTagsForResource", "cognito-idp:SetUserPoolMfaConfig", "cognito-idp:TagResource",
      "cognito-idp:UntagResource", "cognito-idp:UpdateUserPool", "cognito-idp:UpdateUserPoolClient",
    ]
    resources = ["${local.arn.cognito}:userpool/*"]
  }

  # CreateUserPool has no resource to name (the pool does not exist yet).
  statement {
    sid       = "CreateUserPools"
    actions   = ["cognito-idp:CreateUserPool"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  statement {
    sid       = "PassOwnRolesToTheStacksServices"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn.iam}:role/${local.stack_prefix[each.key]}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["apigateway.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com", "scheduler.amazonaws.com"]
    }
  }

  # kms:CreateKey has no resource to name; the key must carry this environment's tag. Tagging at
  # creation needs kms:TagResource on "*" too; IfExists keeps it from re-tagging another
  # environment's key. Everything else on the key is granted by the key's own policy
  # (modules/cartflow kms.tf, key_administrator_arns), never through a resource tag, whose
  # changes take up to five minutes to count for authorization.
  statement {
    sid       = "CreateOwnKey"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }

    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  # Terraform reads an alias back by listing the region's aliases; AWS has no resource to name.
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

  # Aliases carry no tags: the name is the scope (the key side is in the key policy).
  statement {
    sid       = "OwnKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.arn.kms}:alias/${local.stack_prefix[each.key]}*"]
  }
}
