# The region's API Gateway account setting: the role API Gateway writes every REST API's
# execution and access logs with. It is one per account and region, so exactly one root owns it:
# this one, applied once per account (a stack owning it would overwrite the others' setting, and
# destroying that stack would delete the role the setting still names).
#
# API Gateway validates the role by assuming it when the setting is applied, without
# aws:SourceAccount in the request context, so the trust carries no such condition.

resource "aws_iam_role" "api_gateway_cloudwatch" {
  name        = "${var.name_prefix}-apigateway-cloudwatch"
  description = "Lets API Gateway write the execution and access logs of this account and region."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ApiGateway"
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  role       = aws_iam_role.api_gateway_cloudwatch.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch.arn
  depends_on          = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}
