# REST API (api = "rest", the default; http_api.tf is the other option): it validates bodies
# against the contract's JSON Schemas and answers a static message itself. Each route's
# integration calls EventBridge PutEvents directly with the API role; the mapping templates are
# the contract's .vtl files, the same text the local runtime renders. Every REST resource exists
# only when var.api = "rest".

locals {
  rest_api    = var.api == "rest"
  rest_routes = local.rest_api ? module.contract.routes : {}
  api_paths   = toset([for route in local.rest_routes : route.path_part])

  # Integration responses: PutEvents' HTTP 200 goes through the response template (which itself
  # turns FailedEntryCount > 0 into a 500); any 4xx/5xx from EventBridge becomes a 500.
  integration_responses = {
    for pair in setproduct(keys(local.rest_routes), ["200", "500"]) : "${pair[0]} ${pair[1]}" => {
      route             = pair[0]
      status_code       = pair[1]
      selection_pattern = pair[1] == "200" ? null : "[45]\\d{2}"
      template          = pair[1] == "200" ? module.contract.api_templates.response : module.contract.api_templates.failure
    }
  }
}

resource "aws_api_gateway_rest_api" "this" {
  #checkov:skip=CKV_AWS_237:Replacing the API changes its URL for every client; an in-place update is the safe path, so no create_before_destroy here (the deployment has it).
  count = local.rest_api ? 1 : 0

  name        = local.names.api
  description = "cartflow ${var.name}: cart commands become events on the bus."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags
}

resource "aws_api_gateway_request_validator" "body" {
  count = local.rest_api ? 1 : 0

  rest_api_id                 = aws_api_gateway_rest_api.this[0].id
  name                        = "body"
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_model" "request" {
  for_each = local.rest_routes

  rest_api_id  = aws_api_gateway_rest_api.this[0].id
  name         = each.value.model
  description  = "Body of ${each.key} (${each.value.schema})."
  content_type = "application/json"
  schema       = each.value.schema_json
}

resource "aws_api_gateway_model" "message" {
  count = local.rest_api ? 1 : 0

  rest_api_id  = aws_api_gateway_rest_api.this[0].id
  name         = "Message"
  description  = "Every answer of the API (api/response.schema.json)."
  content_type = "application/json"
  schema       = module.contract.response_schema_json
}

resource "aws_api_gateway_resource" "this" {
  for_each = local.api_paths

  rest_api_id = aws_api_gateway_rest_api.this[0].id
  parent_id   = aws_api_gateway_rest_api.this[0].root_resource_id
  path_part   = each.value
}

# The contract marks every route for the Cognito authorizer when auth = "cognito" (cognito.tf).
resource "aws_api_gateway_method" "this" {
  for_each = local.rest_routes

  rest_api_id          = aws_api_gateway_rest_api.this[0].id
  resource_id          = aws_api_gateway_resource.this[each.value.path_part].id
  http_method          = each.value.method
  authorization        = each.value.cognito_authorizer ? "COGNITO_USER_POOLS" : var.api_authorization
  authorizer_id        = each.value.cognito_authorizer ? one(aws_api_gateway_authorizer.cognito[*].id) : null
  request_validator_id = aws_api_gateway_request_validator.body[0].id
  request_models       = { "application/json" = aws_api_gateway_model.request[each.key].name }
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.rest_routes

  rest_api_id             = aws_api_gateway_rest_api.this[0].id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:${local.partition}:apigateway:${local.region}:events:path//"
  credentials             = aws_iam_role.api.arn
  passthrough_behavior    = "NEVER"
  request_parameters = {
    "integration.request.header.X-Amz-Target" = "'AWSEvents.PutEvents'"
    "integration.request.header.Content-Type" = "'application/x-amz-json-1.1'"
  }
  request_templates = { "application/json" = each.value.request_template }
}

resource "aws_api_gateway_method_response" "this" {
  for_each = local.integration_responses

  rest_api_id     = aws_api_gateway_rest_api.this[0].id
  resource_id     = aws_api_gateway_method.this[each.value.route].resource_id
  http_method     = aws_api_gateway_method.this[each.value.route].http_method
  status_code     = each.value.status_code
  response_models = { "application/json" = aws_api_gateway_model.message[0].name }
}

resource "aws_api_gateway_integration_response" "this" {
  for_each = local.integration_responses

  rest_api_id        = aws_api_gateway_rest_api.this[0].id
  resource_id        = aws_api_gateway_method.this[each.value.route].resource_id
  http_method        = aws_api_gateway_method.this[each.value.route].http_method
  status_code        = aws_api_gateway_method_response.this[each.key].status_code
  selection_pattern  = each.value.selection_pattern
  response_templates = { "application/json" = each.value.template }

  depends_on = [aws_api_gateway_integration.this]
}

# A body the model rejects answers 400 with the validator's reason.
resource "aws_api_gateway_gateway_response" "bad_request_body" {
  count = local.rest_api ? 1 : 0

  rest_api_id        = aws_api_gateway_rest_api.this[0].id
  response_type      = "BAD_REQUEST_BODY"
  status_code        = "400"
  response_templates = { "application/json" = module.contract.api_templates.bad_request_body }
}

resource "aws_api_gateway_deployment" "this" {
  count = local.rest_api ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this[0].id
  description = "cartflow ${var.name}"

  # A new deployment whenever anything the API serves changes (routes, models, templates, role).
  triggers = {
    redeployment = sha1(jsonencode([
      module.contract.routes,
      module.contract.api_templates,
      module.contract.response_schema_json,
      var.api_authorization,
      var.auth,
      aws_api_gateway_authorizer.cognito[*].id,
      aws_iam_role.api.arn,
      [for k, v in aws_api_gateway_resource.this : v.id],
      [for k, v in aws_api_gateway_model.request : v.id],
      [for k, v in aws_api_gateway_method.this : v.id],
      [for k, v in aws_api_gateway_integration.this : v.id],
      [for k, v in aws_api_gateway_method_response.this : v.id],
      [for k, v in aws_api_gateway_integration_response.this : v.id],
      aws_api_gateway_gateway_response.bad_request_body[0].id,
      aws_api_gateway_request_validator.body[0].id,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.this,
    aws_api_gateway_integration_response.this,
    aws_api_gateway_method_response.this,
    aws_api_gateway_gateway_response.bad_request_body,
  ]
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (var.log_retention_in_days, 90 days in prod); the event archive, not access logs, is the long-term record.
  name              = "/aws/apigateway/${local.names.api}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# With execution logging on (api_execution_logging_level ERROR or INFO), API Gateway writes the
# stage's execution logs to this group, and creates it itself if it does not exist: without
# retention, without the key, and outliving `terraform destroy`. Declared here, before the method
# settings turn the logs on, it is the stack's like every other log group.
resource "aws_cloudwatch_log_group" "api_execution" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (var.log_retention_in_days, 90 days in prod); the event archive, not execution logs, is the long-term record.
  count = local.rest_api ? 1 : 0

  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this[0].id}/${var.api_stage_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Every route is a POST/DELETE command; nothing is cacheable.
  #checkov:skip=CKV2_AWS_29:Methods require AWS_IAM signatures or Cognito ID tokens (var.auth) and the stage is throttled; a WAF web ACL can be associated per environment outside this module.
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to an HTTP backend; this API's only backend is EventBridge, called with an IAM role.
  count = local.rest_api ? 1 : 0

  rest_api_id          = aws_api_gateway_rest_api.this[0].id
  deployment_id        = aws_api_gateway_deployment.this[0].id
  stage_name           = var.api_stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    # Each line must be JSON, and variables are substituted as they are: the validation error
    # (it holds quotes) would break every line of a rejected body, so it is left out.
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      caller             = "$context.identity.caller"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      errorMessage       = "$context.error.message"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  tags = local.tags
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Every route is a POST/DELETE command that must reach the bus each time; caching would drop events.
  count = local.rest_api ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this[0].id
  stage_name  = aws_api_gateway_stage.this[0].stage_name
  method_path = "*/*"

  # The execution logs go to the declared group, never to one API Gateway makes.
  depends_on = [aws_cloudwatch_log_group.api_execution]

  settings {
    metrics_enabled        = true
    logging_level          = var.api_execution_logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
  }
}

# ------------------------------------------------------------------ API role

# API Gateway assumes an integration's credentials role without aws:SourceAccount or
# aws:SourceArn in the request context, so a condition on either denies every request. The role
# may only put events on this stack's bus, which bounds what a confused deputy could do.
resource "aws_iam_role" "api" {
  name                 = local.names.api_role
  description          = "Assumed by API Gateway (${local.names.api}) to put cart events on the bus."
  permissions_boundary = var.permissions_boundary
  assume_role_policy   = module.contract.trust_policies.api_role
  tags                 = local.tags
}

resource "aws_iam_role_policy" "api" {
  name   = "put-cart-events"
  role   = aws_iam_role.api.id
  policy = module.contract.api_role_policy
}
