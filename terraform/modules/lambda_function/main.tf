# One Lambda function with everything it owns: execution role (trusting only Lambda), the handler's
# and the runtime's policies passed in (the contract module derives both), an encrypted log group
# with retention, X-Ray tracing, and asynchronous-invocation retries ending in an SQS on-failure
# destination.

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
}

resource "aws_iam_role" "this" {
  name                 = var.function_name
  description          = "Execution role of the ${var.function_name} Lambda function."
  permissions_boundary = var.permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Lambda"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# A consumer that calls no AWS API has no statements, and IAM takes no policy without one. The
# count comes from attach_handler_policy, known at plan time, never from the document: its text
# holds the stack key's ARN, unknown on a new stack, and a count Terraform cannot know fails the
# plan ("Invalid count argument"; docs/aws-fidelity.md).
resource "aws_iam_role_policy" "handler" {
  count = var.attach_handler_policy ? 1 : 0

  name   = "handler"
  role   = aws_iam_role.this.id
  policy = var.policy_json

  lifecycle {
    precondition {
      condition     = length(jsondecode(var.policy_json).Statement) > 0
      error_message = "attach_handler_policy is true but policy_json has no statement; IAM takes no policy without one."
    }
  }
}

resource "aws_iam_role_policy" "runtime" {
  name   = "runtime"
  role   = aws_iam_role.this.id
  policy = var.runtime_policy_json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Asynchronous failures go to the on-failure destination of aws_lambda_function_event_invoke_config, which records the error and the request (a DLQ records only the event).
  #checkov:skip=CKV_AWS_117:The functions call only public AWS APIs (Scheduler, SES, EventBridge, DynamoDB); a VPC would add NAT or endpoints and no protection.
  #checkov:skip=CKV_AWS_272:Integrity comes from source_code_hash (local zip) or the pinned S3 object version of the release artifact; no signing profile exists yet.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  timeout                        = var.timeout
  memory_size                    = var.memory_size
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  # SnapStart snapshots a published version; without it there is nothing to publish.
  publish = var.snapstart

  dynamic "snap_start" {
    for_each = var.snapstart ? ["PublishedVersions"] : []
    content {
      apply_on = snap_start.value
    }
  }

  filename          = var.code.filename
  source_code_hash  = var.code.source_code_hash
  s3_bucket         = var.code.s3_bucket
  s3_key            = var.code.s3_key
  s3_object_version = var.code.s3_object_version

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = var.tracing_mode
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = var.tags

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.runtime, aws_iam_role_policy.handler]
}

# What every trigger invokes: the newest published version with SnapStart (only versions are
# restored from a snapshot), else $LATEST. Triggers never change when SnapStart is switched.
resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "What the function's triggers invoke."
  function_name    = aws_lambda_function.this.function_name
  function_version = var.snapstart ? aws_lambda_function.this.version : "$LATEST"
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = aws_lambda_alias.live.name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = var.on_failure_destination_arn
    }
  }
}
