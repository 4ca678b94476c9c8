# HTTP API (api = "http"): each route's integration is the first-class EventBridge-PutEvents
# subtype, called with the same scoped API role as the REST API (api.tf). It costs less per
# request but cannot validate bodies, map PutEvents' answer or escape what it substitutes:
# terraform/README.md says what that means for bad input. Every HTTP resource exists only when
# var.api = "http".

locals {
  http_api    = var.api == "http"
  http_routes = local.http_api ? module.contract.http_routes : {}
}

resource "aws_apigatewayv2_api" "this" {
  count = local.http_api ? 1 : 0

  name          = local.names.api
  description   = "cartflow ${var.name}: cart commands become events on the bus."
  protocol_type = "HTTP"
  tags          = local.tags
}

# The user pool's ID tokens (issuer = the pool, audience = the app client), as the REST API's
# Cognito authorizer accepts; the claims reach the Detail mapping (contract http_routes).
resource "aws_apigatewayv2_authorizer" "cognito" {
  count = local.cognito && local.http_api ? 1 : 0

  api_id           = aws_apigatewayv2_api.this[0].id
  name             = "${var.name}-cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    audience = [aws_cognito_user_pool_client.this[0].id]
    issuer   = "https://${aws_cognito_user_pool.this[0].endpoint}"
  }
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = local.http_routes

  api_id                 = aws_apigatewayv2_api.this[0].id
  description            = "${each.key}: PutEvents of ${each.value.request_parameters.DetailType}."
  integration_type       = "AWS_PROXY"
  integration_subtype    = "EventBridge-PutEvents"
  credentials_arn        = aws_iam_role.api.arn
  payload_format_version = "1.0"
  request_parameters     = each.value.request_parameters
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:Routes require AWS_IAM signatures (the default) or Cognito JWTs (auth = "cognito"); NONE is an explicit per-environment choice of api_authorization, as on the REST methods.
  for_each = local.http_routes

  api_id             = aws_apigatewayv2_api.this[0].id
  route_key          = each.value.route_key
  target             = "integrations/${aws_apigatewayv2_integration.this[each.key].id}"
  authorization_type = each.value.jwt_authorizer ? "JWT" : var.api_authorization
  authorizer_id      = each.value.jwt_authorizer ? one(aws_apigatewayv2_authorizer.cognito[*].id) : null
}

resource "aws_apigatewayv2_stage" "this" {
  count = local.http_api ? 1 : 0

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit    = var.api_throttling_rate_limit
    throttling_burst_limit   = var.api_throttling_burst_limit
    detailed_metrics_enabled = true
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    # One JSON object per line; the integration's error message is left out for the reason the
    # REST stage leaves the validation error out (it may hold quotes).
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      caller             = "$context.identity.caller"
      httpMethod         = "$context.httpMethod"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
    })
  }

  tags = local.tags
}
