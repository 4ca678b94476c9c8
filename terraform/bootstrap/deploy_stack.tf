# What an environment's Terraform (and the smoke test's temporary rule and queue) may manage:
# only resources named <name_prefix>-<env>-..., one statement per service. Where an AWS action
# has no resource-level permission at all, the statement names "*" and narrows it by condition.

data "aws_iam_policy_document" "deploy_stack" {
  for_each = toset(var.environments)

  statement {
    sid = "Functions"
    actions = [
      "lambda:AddPermission", "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency",
      "lambda:DeleteFunctionEventInvokeConfig", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConcurrency", "lambda:GetFunctionConfiguration", "lambda:GetFunctionEventInvokeConfig",
      "lambda:GetFunctionRecursionConfig", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig", "lambda:ListTags",
      "lambda:ListVersionsByFunction", "lambda:PutFunctionConcurrency", "lambda:PutFunctionEventInvokeConfig",
      "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionEventInvokeConfig",
    ]
    resources = ["${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*"]
  }

  # Event source mappings are named by a random UUID; the function they feed is the scope.
  statement {
    sid       = "EventSourceMappingsOfOwnFunctions"
    actions   = ["lambda:DeleteEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"]
    resources = ["${local.arn.lambda}:event-source-mapping:*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn.lambda}:function:${local.stack_prefix[each.key]}-*"]
    }
  }

  # The provider's default_tags tag mappings too; tagging takes no lambda:FunctionArn condition, so
  # it is scoped to this account's and region's mappings (tags carry no access).
  statement {
    sid       = "TagEventSourceMappings"
    actions   = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
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
    resources = ["${local.arn.logs}:log-group:*${local.stack_prefix[each.key]}-*"]
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

  # REST API ids are random, so the region's REST APIs are the narrowest nameable scope.
  statement {
    sid       = "RestApi"
    actions   = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
    resources = ["${local.arn.apigateway}/restapis", "${local.arn.apigateway}/restapis/*", "${local.arn.apigateway}/tags/*"]
  }

  # The region's API Gateway CloudWatch role setting (manage_api_gateway_account = true).
  statement {
    sid       = "ApiGatewayAccountSettings"
    actions   = ["apigateway:GET", "apigateway:PATCH"]
    resources = ["${local.arn.apigateway}/account"]
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

  statement {
    sid = "RolesAndPolicies"
    actions = [
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole", "iam:DeletePolicy",
      "iam:DeletePolicyVersion", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:GetPolicy",
      "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:ListPolicyVersions", "iam:ListRolePolicies", "iam:PutRolePolicy",
      "iam:TagPolicy", "iam:TagRole", "iam:UntagPolicy", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
    ]
    resources = ["${local.arn.iam}:role/${local.stack_prefix[each.key]}-*", "${local.arn.iam}:policy/${local.stack_prefix[each.key]}-*"]
  }

  # The only managed policy the stack attaches; any other (AdministratorAccess...) is refused.
  statement {
    sid       = "AttachOnlyTheApiGatewayLoggingPolicy"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["${local.arn.iam}:role/${local.stack_prefix[each.key]}-*"]

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
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
  # environment's key into this one (which would hand over that key's management).
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

  statement {
    sid = "ManageOwnKey"
    actions = [
      "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias", "kms:DescribeKey",
      "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion", "kms:UntagResource", "kms:UpdateAlias",
    ]
    resources = ["${local.arn.kms}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
  }

  # Aliases carry no tags: the name is the scope (the key side is covered above).
  statement {
    sid       = "OwnKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.arn.kms}:alias/${local.stack_prefix[each.key]}*"]
  }
}
