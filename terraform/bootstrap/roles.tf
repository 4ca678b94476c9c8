# The roles GitHub Actions assumes. Each is trusted for exactly one OIDC subject: a deploy role
# per GitHub environment (repo:<owner>/<repo>:environment:<env>), and the publishing role for
# workflow runs on the publish ref (repo:<owner>/<repo>:ref:refs/heads/main). A pull request's
# token (subject repo:<owner>/<repo>:pull_request) matches none of them.

locals {
  artifacts_arn = aws_s3_bucket.this["artifacts"].arn
  state_arn     = aws_s3_bucket.this["state"].arn

  # Everything an environment's Terraform creates is named <name_prefix>-<env>-...; the deploy
  # role of that environment can touch nothing else.
  stack_prefix = { for env in var.environments : env => "${var.name_prefix}-${env}" }

  arn = {
    lambda     = "arn:${local.partition}:lambda:${var.region}:${local.account_id}"
    events     = "arn:${local.partition}:events:${var.region}:${local.account_id}"
    scheduler  = "arn:${local.partition}:scheduler:${var.region}:${local.account_id}"
    sqs        = "arn:${local.partition}:sqs:${var.region}:${local.account_id}"
    sns        = "arn:${local.partition}:sns:${var.region}:${local.account_id}"
    dynamodb   = "arn:${local.partition}:dynamodb:${var.region}:${local.account_id}"
    logs       = "arn:${local.partition}:logs:${var.region}:${local.account_id}"
    cloudwatch = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}"
    cognito    = "arn:${local.partition}:cognito-idp:${var.region}:${local.account_id}"
    kms        = "arn:${local.partition}:kms:${var.region}:${local.account_id}"
    ses        = "arn:${local.partition}:ses:${var.region}:${local.account_id}"
    schemas    = "arn:${local.partition}:schemas:${var.region}:${local.account_id}"
    iam        = "arn:${local.partition}:iam::${local.account_id}"
    apigateway = "arn:${local.partition}:apigateway:${var.region}::"
    executeapi = "arn:${local.partition}:execute-api:${var.region}:${local.account_id}"
  }
}

data "aws_iam_policy_document" "github_trust" {
  for_each = merge(
    { for env in var.environments : "deploy-${env}" => "repo:${var.github_repository}:environment:${env}" },
    { for env in var.environments : "plan-${env}" => "repo:${var.github_repository}:environment:${env}-plan" },
    { publish = "repo:${var.github_repository}:ref:${var.publish_ref}" },
  )

  statement {
    sid     = "GitHubActionsOidc"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Exact match (StringEquals, no wildcard): one repository, one environment or ref.
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [each.value]
    }
  }
}

################################################################################
# Publishing role: writes function zips and release manifests, nothing else
################################################################################

resource "aws_iam_role" "publish" {
  name                 = "${var.name_prefix}-publish"
  description          = "GitHub Actions on ${var.publish_ref} of ${var.github_repository}: upload release artifacts."
  assume_role_policy   = data.aws_iam_policy_document.github_trust["publish"].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "publish" {
  name   = "publish-artifacts"
  role   = aws_iam_role.publish.id
  policy = data.aws_iam_policy_document.publish.json
}

data "aws_iam_policy_document" "publish" {
  statement {
    sid       = "ListArtifactsSoMissingKeysAnswer404"
    actions   = ["s3:ListBucket"]
    resources = [local.artifacts_arn]
  }

  statement {
    sid       = "ReadAndWriteZipsAndReleaseManifests"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${local.artifacts_arn}/functions/*", "${local.artifacts_arn}/releases/*"]
  }

  statement {
    sid       = "UseTheBucketKeyThroughS3Only"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}

################################################################################
# Deploy roles: one per environment
################################################################################

resource "aws_iam_role" "deploy" {
  for_each = toset(var.environments)

  name                 = "${var.name_prefix}-deploy-${each.key}"
  description          = "GitHub Actions in environment ${each.key} of ${var.github_repository}: plan/apply ${local.stack_prefix[each.key]}-*, promote into ${each.key}."
  assume_role_policy   = data.aws_iam_policy_document.github_trust["deploy-${each.key}"].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "deploy_shipping" {
  for_each = toset(var.environments)

  name   = "state-and-artifacts"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.deploy_shipping[each.key].json
}

resource "aws_iam_role_policy" "deploy_stack" {
  for_each = toset(var.environments)

  name   = "manage-${local.stack_prefix[each.key]}"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.deploy_stack[each.key].json
}

data "aws_iam_policy_document" "deploy_shipping" {
  for_each = toset(var.environments)

  # Terraform's S3 backend lists the bucket (workspaces); it reveals key names only.
  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_arn]
  }

  # The environment's own state object and its lock file (<name_prefix>/<env>/terraform.tfstate[.tflock]).
  statement {
    sid       = "OwnStateAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_arn}/${var.name_prefix}/${each.key}/*"]
  }

  statement {
    sid       = "ListArtifactsSoMissingKeysAnswer404"
    actions   = ["s3:ListBucket"]
    resources = [local.artifacts_arn]
  }

  # Every release and every environment's pointer: promotion reads the previous stage's.
  # Lambda fetches the zip with the caller's credentials (through S3) when code is created or updated.
  statement {
    sid       = "ReadReleasesArtifactsAndPointers"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.artifacts_arn}/functions/*", "${local.artifacts_arn}/releases/*", "${local.artifacts_arn}/environments/*"]
  }

  statement {
    sid       = "WriteOnlyOwnPointer"
    actions   = ["s3:PutObject"]
    resources = ["${local.artifacts_arn}/environments/${each.key}.json"]
  }

  statement {
    sid       = "UseTheBucketKeyThroughS3Only"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}
