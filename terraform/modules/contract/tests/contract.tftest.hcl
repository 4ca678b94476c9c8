# Offline tests of the provider-free contract module: `terraform init -backend=false && terraform test`.

variables {
  name            = "cartflow-test"
  region          = "eu-west-1"
  account_id      = "123456789012"
  kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  sender_identity = "reminders@cartflow.example"
  setting_values = {
    EVENT_BUS_ARN         = "arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus"
    SCHEDULE_GROUP        = "cartflow-test-reminders"
    SCHEDULER_ROLE_ARN    = "arn:aws:iam::123456789012:role/cartflow-test-scheduler"
    SCHEDULER_DLQ_ARN     = "arn:aws:sqs:eu-west-1:123456789012:cartflow-test-scheduler-dlq"
    IDEMPOTENCY_TABLE     = "cartflow-test-idempotency"
    SENDER_EMAIL          = "reminders@cartflow.example"
    SES_CONFIGURATION_SET = "cartflow-test-reminders"
    REMINDER_QUEUE_URL    = "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders"
    REMINDER_DLQ_URL      = "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders-dlq"
  }
}

run "every_rule_uses_its_contract_pattern_file" {
  command = plan

  assert {
    condition     = keys(output.rules) == keys(output.stack.rules)
    error_message = "One rule per stack.json rule."
  }
  assert {
    condition = alltrue([
      for name, rule in output.rules : rule.event_pattern == file("${path.module}/../../../cartflow/contract/${output.stack.rules[name].pattern}")
    ])
    error_message = "A rule's event_pattern must be the text of its contract pattern file."
  }
  assert {
    condition     = output.rules["reminder_due"].target_type == "sqs" && output.rules["reminder_due"].queue == "reminders"
    error_message = "reminder_due targets the reminders queue."
  }
}

run "environment_is_exactly_the_declared_settings" {
  command = plan

  assert {
    condition = alltrue([
      for fn, spec in output.stack.functions : sort(keys(output.environment[fn])) == sort(spec.environment)
    ])
    error_message = "Each function's environment must hold exactly the names stack.json lists for it."
  }
  assert {
    condition     = output.environment["schedule_reminder"]["REMINDER_DELAY_SECONDS"] == "86400"
    error_message = "A setting without a deployment value takes the contract default."
  }
  assert {
    condition     = output.environment["send_reminder"]["SENDER_EMAIL"] == "reminders@cartflow.example"
    error_message = "A deployment value is passed through."
  }
}

run "deployment_values_override_defaults" {
  command = plan

  variables {
    setting_values = {
      EVENT_BUS_ARN          = "arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus"
      SCHEDULE_GROUP         = "cartflow-test-reminders"
      SCHEDULER_ROLE_ARN     = "arn:aws:iam::123456789012:role/cartflow-test-scheduler"
      SCHEDULER_DLQ_ARN      = "arn:aws:sqs:eu-west-1:123456789012:cartflow-test-scheduler-dlq"
      IDEMPOTENCY_TABLE      = "cartflow-test-idempotency"
      SENDER_EMAIL           = "reminders@cartflow.example"
      SES_CONFIGURATION_SET  = "cartflow-test-reminders"
      REMINDER_QUEUE_URL     = "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders"
      REMINDER_DLQ_URL       = "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders-dlq"
      REMINDER_DELAY_SECONDS = "120"
    }
  }

  assert {
    condition     = output.environment["schedule_reminder"]["REMINDER_DELAY_SECONDS"] == "120"
    error_message = "setting_values must override the contract default."
  }
}

run "a_missing_setting_fails_the_plan" {
  command = plan

  variables {
    setting_values = {
      EVENT_BUS_ARN = "arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus"
    }
  }

  expect_failures = [output.environment]
}

run "an_undeclared_setting_fails_the_plan" {
  command = plan

  variables {
    setting_values = {
      EVENT_BUS_ARN         = "arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus"
      SCHEDULE_GROUP        = "cartflow-test-reminders"
      SCHEDULER_ROLE_ARN    = "arn:aws:iam::123456789012:role/cartflow-test-scheduler"
      SCHEDULER_DLQ_ARN     = "arn:aws:sqs:eu-west-1:123456789012:cartflow-test-scheduler-dlq"
      IDEMPOTENCY_TABLE     = "cartflow-test-idempotency"
      SENDER_EMAIL          = "reminders@cartflow.example"
      SES_CONFIGURATION_SET = "cartflow-test-reminders"
      REMINDER_QUEUE_URL    = "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders"
      REMINDER_DLQ_URL      = "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders-dlq"
      NOT_A_SETTING         = "x"
    }
  }

  expect_failures = [output.environment]
}

# Another architecture than any stack.json function declares, so the run holds whichever one they use.
run "a_zip_built_for_another_architecture_fails_the_plan" {
  command = plan

  variables {
    built_architectures = { send_reminder = "i386" }
  }

  expect_failures = [output.functions]
}

run "queue_visibility_is_a_multiple_of_the_consumer_timeout" {
  command = plan

  assert {
    condition = alltrue([
      for name, queue in output.queues :
      queue.visibility_timeout_seconds == output.stack.functions[queue.consumer].timeout * queue.visibility_timeout_per_function_timeout
      && queue.visibility_timeout_per_function_timeout >= 6
    ])
    error_message = "visibility timeout = consumer timeout x visibility_timeout_per_function_timeout (>= 6)."
  }
}

run "policies_name_this_deployments_resources" {
  command = plan

  assert {
    condition     = jsondecode(output.function_policies["schedule_reminder"]).Statement[0].Resource == ["arn:aws:scheduler:eu-west-1:123456789012:schedule/cartflow-test-reminders/*"]
    error_message = "schedule_reminder may manage schedules in its group only."
  }
  assert {
    condition     = jsondecode(output.function_policies["schedule_reminder"]).Statement[1].Condition.StringEquals["iam:PassedToService"] == "scheduler.amazonaws.com"
    error_message = "iam:PassRole must be conditioned on iam:PassedToService."
  }
  assert {
    condition = alltrue(flatten([
      for fn, statements in output.function_policy_statements : [
        for s in statements : alltrue([for a in s.actions : contains(keys(output.actions_without_resource_types), a)]) if contains(s.resources, "*")
      ]
    ]))
    error_message = "Resource \"*\" only for actions without resource-level permissions."
  }
  assert {
    condition     = jsondecode(output.api_role_policy).Statement[0].Action == ["events:PutEvents"] && jsondecode(output.api_role_policy).Statement[0].Resource == ["arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus"]
    error_message = "The API role may only put events on this bus."
  }
}

run "routes_render_their_put_events_template" {
  command = plan

  assert {
    condition     = toset(keys(output.routes)) == toset([for r in jsondecode(file("${path.module}/../../../cartflow/contract/api/routes.json")).routes : "${r.method} ${r.path}"])
    error_message = "One route per routes.json entry."
  }
  assert {
    condition     = strcontains(output.routes["POST /cart"].request_template, "\"DetailType\": \"ItemAddedToCart\"") && strcontains(output.routes["POST /cart"].request_template, "\"EventBusName\": \"cartflow-test-bus\"")
    error_message = "The request template carries the route's detail-type and the bus name."
  }
  assert {
    condition     = alltrue([for route in output.routes : !can(regex("[$][{]", route.request_template))])
    error_message = "templatefile must leave no unrendered Terraform placeholder."
  }
}

run "invalid_names_are_rejected" {
  command = plan

  variables {
    name = "Cartflow_Test"
  }

  expect_failures = [var.name]
}

run "iam_auth_serves_the_schema_files_without_an_authorizer" {
  command = plan

  assert {
    condition     = alltrue([for key, route in output.routes : route.schema_json == file("${path.module}/../../../cartflow/contract/${route.schema}")])
    error_message = "With auth = \"iam\" (the default) every model is its schema file, verbatim."
  }
  assert {
    condition     = alltrue([for key, route in output.routes : !route.cognito_authorizer])
    error_message = "With auth = \"iam\" no route is guarded by the Cognito authorizer."
  }
}

run "cognito_auth_guards_every_route_and_relaxes_only_the_identity_fields" {
  command = plan

  variables {
    auth = "cognito"
  }

  assert {
    condition     = alltrue([for key, route in output.routes : route.cognito_authorizer])
    error_message = "With auth = \"cognito\" every route is guarded by the Cognito authorizer."
  }
  assert {
    condition = alltrue([
      for key, route in output.routes : (
        sort(try(jsondecode(route.schema_json).required, [])) == sort(setsubtract(jsondecode(file("${path.module}/../../../cartflow/contract/${route.schema}")).required, ["user", "email"]))
      )
    ])
    error_message = "A Cognito model requires what its schema file requires, minus user and email."
  }
  assert {
    condition     = !can(jsondecode(output.routes["POST /checkout"].schema_json).required)
    error_message = "A model left with nothing required has no \"required\" keyword (draft 4 forbids an empty one)."
  }
  assert {
    condition = alltrue([
      for key, route in output.routes : (
        jsondecode(route.schema_json).properties == jsondecode(file("${path.module}/../../../cartflow/contract/${route.schema}")).properties
      )
    ])
    error_message = "The identity fields stay declared: only \"required\" changes."
  }
}

run "auth_must_be_iam_or_cognito" {
  command = plan

  variables {
    auth = "oidc"
  }

  expect_failures = [var.auth]
}

run "http_routes_put_the_same_events_as_the_rest_routes" {
  command = plan

  assert {
    condition     = keys(output.http_routes) == keys(output.routes)
    error_message = "The HTTP API serves exactly the REST API's routes."
  }
  assert {
    condition = alltrue([
      for key, route in output.http_routes : route.request_parameters.DetailType == output.routes[key].detail_type && route.request_parameters.Source == output.routes[key].source && route.request_parameters.EventBusName == "cartflow-test-bus"
    ])
    error_message = "Each HTTP route puts its contract event on this stack's bus."
  }
  assert {
    condition     = alltrue([for route in output.http_routes : can(regex("\"request_id\":\"[$][{]context[.]requestId[}]\"", route.request_parameters.Detail)) && !route.jwt_authorizer])
    error_message = "Each Detail carries the request id; the JWT authorizer only with auth = \"cognito\"."
  }
}
