# The contract (cartflow/contract) read into Terraform values, plus everything that can be derived
# from it without a provider: resource names, ARNs, per-function environments and IAM policy
# documents. Keeping this logic provider-free lets `terraform test` prove it offline, and lets the
# Python contract tests evaluate the exact policies the stack deploys.

locals {
  dir = coalesce(var.contract_dir, "${path.module}/../../../cartflow/contract")

  stack  = jsondecode(file("${local.dir}/stack.json"))
  api    = jsondecode(file("${local.dir}/api/routes.json"))
  events = jsondecode(file("${local.dir}/events.json"))

  # ---------------------------------------------------------------- names and ARNs
  arn_prefix = {
    for service in ["events", "scheduler", "sqs", "dynamodb", "ses", "lambda", "logs"] :
    service => "arn:${var.partition}:${service}:${var.region}:${var.account_id}"
  }

  # Every name comes from stack.json's templates, the ones the local stack builds its names from.
  name_templates = { for kind, template in local.stack.names : kind => replace(template, "{stack}", var.name) if kind != "description" }
  keyed_name     = { for kind in ["function", "rule", "queue", "queue_dlq"] : kind => local.name_templates[kind] }

  names = {
    event_bus         = local.name_templates.event_bus
    event_archive     = local.name_templates.event_archive
    schedule_group    = local.name_templates.schedule_group
    scheduler_role    = local.name_templates.scheduler_role
    scheduler_dlq     = local.name_templates.scheduler_dlq
    rule_target_dlq   = local.name_templates.rule_target_dlq
    async_failure_dlq = local.name_templates.async_failure_dlq
    api               = local.name_templates.api
    api_role          = local.name_templates.api_role
    idempotency_table = local.name_templates.idempotency_table
    alarm_topic       = local.name_templates.alarm_topic
    kms_alias         = local.name_templates.kms_alias
    schema_registry   = local.name_templates.schema_registry
    dashboard         = local.name_templates.dashboard
    ses_configuration = local.name_templates.ses_configuration_set
    ses_events_rule   = local.name_templates.ses_events_rule
    ses_events_role   = local.name_templates.ses_events_role
    functions         = { for fn in keys(local.stack.functions) : fn => replace(local.keyed_name.function, "{key}", replace(fn, "_", "-")) }
    rules             = { for rule in keys(local.stack.rules) : rule => replace(local.keyed_name.rule, "{key}", replace(rule, "_", "-")) }
    queues            = { for queue in keys(local.stack.queues) : queue => replace(local.keyed_name.queue, "{key}", replace(queue, "_", "-")) }
    queue_dlqs        = { for queue in keys(local.stack.queues) : queue => replace(local.keyed_name.queue_dlq, "{key}", replace(queue, "_", "-")) }
  }

  arns = {
    event_bus         = "${local.arn_prefix.events}:event-bus/${local.names.event_bus}"
    schedules         = "${local.arn_prefix.scheduler}:schedule/${local.names.schedule_group}/*"
    scheduler_role    = "arn:${var.partition}:iam::${var.account_id}:role/${local.names.scheduler_role}"
    scheduler_dlq     = "${local.arn_prefix.sqs}:${local.names.scheduler_dlq}"
    idempotency_table = "${local.arn_prefix.dynamodb}:table/${local.names.idempotency_table}"
    sender_identity   = "${local.arn_prefix.ses}:identity/${var.sender_identity}"
    rule_target_dlq   = "${local.arn_prefix.sqs}:${local.names.rule_target_dlq}"
    async_failure_dlq = "${local.arn_prefix.sqs}:${local.names.async_failure_dlq}"
    schedule_group    = "${local.arn_prefix.scheduler}:schedule-group/${local.names.schedule_group}"
    api_role          = "arn:${var.partition}:iam::${var.account_id}:role/${local.names.api_role}"
    account_root      = "arn:${var.partition}:iam::${var.account_id}:root"
    ses_configuration = "${local.arn_prefix.ses}:configuration-set/${local.names.ses_configuration}"
    # A rule on the default bus: arn:...:rule/<rule name>.
    ses_events_rule = "${local.arn_prefix.events}:rule/${local.names.ses_events_rule}"
    queues          = { for queue, name in local.names.queues : queue => "${local.arn_prefix.sqs}:${name}" }
    queue_dlqs      = { for queue, name in local.names.queue_dlqs : queue => "${local.arn_prefix.sqs}:${name}" }
    # A rule on a custom bus: arn:...:rule/<bus name>/<rule name>.
    rules          = { for rule, name in local.names.rules : rule => "${local.arn_prefix.events}:rule/${local.names.event_bus}/${name}" }
    function_roles = { for fn, name in local.names.functions : fn => "arn:${var.partition}:iam::${var.account_id}:role/${name}" }
    functions      = { for fn, name in local.names.functions : fn => "${local.arn_prefix.lambda}:function:${name}" }
  }

  # A zip built for another architecture than the contract's fails the plan (see the output
  # precondition): its compiled dependencies would not load in Lambda.
  architecture_mismatches = sort([
    for fn, built in var.built_architectures : "${fn} (built ${built}, contract ${try(local.stack.functions[fn].architecture, "none")})"
    if built != try(local.stack.functions[fn].architecture, null)
  ])

  # ---------------------------------------------------------------- rules and queues
  rules = {
    for name, rule in local.stack.rules : name => {
      name          = local.names.rules[name]
      description   = rule.description
      pattern_file  = rule.pattern
      event_pattern = file("${local.dir}/${rule.pattern}")
      target_type   = rule.target.type
      function      = try(rule.target.function, null)
      queue         = try(rule.target.queue, null)
      retry         = rule.retry
    }
  }

  # A paced queue's event source mapping, from its rate setting (cartflow.pacing has the same
  # formula, and a test holds the two together): enough concurrent invocations that each sends at
  # most sends_per_second_per_invocation, and a batch one of them sends at its pace within its
  # share of the timeout.
  # The rate is a variable of its own, not one of setting_values: those name the queues' URLs, so
  # deriving the queues from them would be a cycle.
  ses_max_send_rate = coalesce(var.ses_max_send_rate, tonumber(local.stack.settings.SES_MAX_SEND_RATE.default))
  rate_values       = { SES_MAX_SEND_RATE = local.ses_max_send_rate }
  queue_rates       = { for name, queue in local.stack.queues : name => local.rate_values[queue.pacing.rate_setting] }
  queue_concurrency = {
    for name, queue in local.stack.queues : name => max(queue.pacing.minimum_concurrency, ceil(local.queue_rates[name] / queue.pacing.sends_per_second_per_invocation))
  }
  queues = {
    for name, queue in local.stack.queues : name => merge(queue, {
      name                       = local.names.queues[name]
      dlq_name                   = local.names.queue_dlqs[name]
      visibility_timeout_seconds = local.stack.functions[queue.consumer].timeout * queue.visibility_timeout_per_function_timeout
      maximum_concurrency        = local.queue_concurrency[name]
      batch_size = max(1, min(queue.pacing.maximum_batch_size, floor(
        local.queue_rates[name] / local.queue_concurrency[name] * local.stack.functions[queue.consumer].timeout * queue.pacing.sending_share_of_timeout
      )))
    })
  }

  # ---------------------------------------------------------------- schema registry
  # Each event published for discovery as a JSON Schema draft 4 document of the whole event: its
  # source and detail-type fixed, its detail the contract's schema (what producers emit). Named
  # "<source>@<DetailType>", the way EventBridge names the schemas it discovers.
  registry_schemas = {
    for event in local.events.events : "${event.source}@${event.detail_type}" => {
      description = "${event.detail_type} v${event.version}, produced by ${event.producer} (cartflow/contract/${event.schema})."
      content = jsonencode({
        "$schema"   = "http://json-schema.org/draft-04/schema#"
        title       = event.detail_type
        description = "EventBridge event ${event.source}/${event.detail_type}, version ${event.version} of its detail."
        type        = "object"
        required    = ["source", "detail-type", "detail"]
        properties = {
          source        = { type = "string", enum = [event.source] }
          "detail-type" = { type = "string", enum = [event.detail_type] }
          detail        = { for key, value in jsondecode(file("${local.dir}/${event.schema}")) : key => value if key != "$schema" }
        }
      })
    }
  }

  # ---------------------------------------------------------------- observability
  # What is watched, derived from the contract: every function, queue (and DLQ), rule and the
  # schedule group. Metric names and dimensions are AWS's documented ones (docs/aws-fidelity.md,
  # checked by tests/infrastructure/test_observability.py); the custom ones are what Powertools emits: the
  # namespace and the "service" dimension are the functions' own settings.
  custom_metrics = {
    namespace  = local.settings["POWERTOOLS_METRICS_NAMESPACE"]
    dimensions = { service = local.settings["POWERTOOLS_SERVICE_NAME"] }
  }
  rule_dimensions = {
    for rule, name in local.names.rules : rule => { EventBusName = local.names.event_bus, RuleName = name }
  }
  alarms = merge(
    {
      invalid-events = {
        description = "A function rejected an event the contract does not allow: a producer and a consumer disagree."
        namespace   = local.custom_metrics.namespace
        metric      = "InvalidEvents"
        dimensions  = local.custom_metrics.dimensions
      }
      emails-rejected = {
        description = "SES refused a reminder for good (MessageRejected, unverified sender or recipient)."
        namespace   = local.custom_metrics.namespace
        metric      = "EmailsRejected"
        dimensions  = local.custom_metrics.dimensions
      }
      sending-paused = {
        description = "SES cannot send for the account (sending paused, suspended, or a quota exhausted): reminders wait in their queue until it can."
        namespace   = local.custom_metrics.namespace
        metric      = "SendingPaused"
        dimensions  = local.custom_metrics.dimensions
      }
      scheduler-target-errors = {
        description = "Scheduler could not put a reminder on the bus (the target answered an error)."
        namespace   = "AWS/Scheduler"
        metric      = "TargetErrorCount"
        dimensions  = { ScheduleGroup = local.names.schedule_group }
      }
      scheduler-dropped = {
        description = "Scheduler gave up on a reminder after its retry policy: it is in the scheduler DLQ or lost."
        namespace   = "AWS/Scheduler"
        metric      = "InvocationDroppedCount"
        dimensions  = { ScheduleGroup = local.names.schedule_group }
      }
    },
    { for rule, dimensions in local.rule_dimensions : "rule-${replace(rule, "_", "-")}-failed" => {
      description = "EventBridge failed for good to deliver events of rule ${rule} to its target."
      namespace   = "AWS/Events"
      metric      = "FailedInvocations"
      dimensions  = dimensions
    } },
    { for rule, dimensions in local.rule_dimensions : "rule-${replace(rule, "_", "-")}-dead-lettered" => {
      description = "EventBridge sent events of rule ${rule} to the rule-target DLQ: redrive them (make redrive)."
      namespace   = "AWS/Events"
      metric      = "InvocationsSentToDlq"
      dimensions  = dimensions
    } },
  )

  all_queue_names = concat(
    values(local.names.queues), values(local.names.queue_dlqs),
    [local.names.scheduler_dlq, local.names.rule_target_dlq, local.names.async_failure_dlq],
  )
  widget = { width = 12, height = 6 }
  dashboard_widgets = concat(
    [for fn, name in local.names.functions : {
      type = "metric", width = local.widget.width, height = local.widget.height
      properties = {
        title   = "λ ${fn}", region = var.region, stat = "Sum", period = 300
        metrics = [for metric in ["Invocations", "Errors", "Throttles"] : ["AWS/Lambda", metric, "FunctionName", name]]
      }
    }],
    [for queue in local.all_queue_names : {
      type = "metric", width = local.widget.width, height = local.widget.height
      properties = {
        title   = "queue ${queue}", region = var.region, stat = "Maximum", period = 300
        metrics = [for metric in ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"] : ["AWS/SQS", metric, "QueueName", queue]]
      }
    }],
    [for rule, dimensions in local.rule_dimensions : {
      type = "metric", width = local.widget.width, height = local.widget.height
      properties = {
        title   = "rule ${rule}", region = var.region, stat = "Sum", period = 300
        metrics = [for metric in ["Invocations", "FailedInvocations", "InvocationsSentToDlq"] : ["AWS/Events", metric, "EventBusName", dimensions.EventBusName, "RuleName", dimensions.RuleName]]
      }
    }],
    [{
      type = "metric", width = local.widget.width, height = local.widget.height
      properties = {
        title   = "schedule group ${local.names.schedule_group}", region = var.region, stat = "Sum", period = 300
        metrics = [for metric in ["InvocationAttemptCount", "TargetErrorCount", "InvocationDroppedCount", "InvocationsSentToDeadLetterCount"] : ["AWS/Scheduler", metric, "ScheduleGroup", local.names.schedule_group]]
      }
    }],
    [{
      type = "metric", width = local.widget.width, height = local.widget.height
      properties = {
        title   = "${local.custom_metrics.namespace} (service ${local.custom_metrics.dimensions.service})", region = var.region, stat = "Sum", period = 300
        metrics = [for metric in ["SchedulesCreated", "SchedulesCancelled", "SchedulesDeleted", "RemindersSent", "RemindersDelayed", "SendingPaused", "InvalidEvents", "EmailsRejected"] : [local.custom_metrics.namespace, metric, "service", local.custom_metrics.dimensions.service]]
      }
    }],
  )

  # ---------------------------------------------------------------- API
  # With auth = "cognito" the token supplies these body fields (the request template takes them
  # from the claims and ignores the body's), so each model is its schema file with them removed
  # from "required" (and "required" removed when empty: draft 4 forbids []). The fields stay
  # declared, so the schema files remain the one description of a body. cartlocal.apigateway.rest_api's
  # identity_model is the same derivation for the local API.
  identity_fields = ["user", "email"]
  route_schemas   = { for route in local.api.routes : "${route.method} ${route.path}" => jsondecode(file("${local.dir}/${route.schema}")) }
  identity_required = {
    for key, schema in local.route_schemas : key => [for field in try(schema.required, []) : field if !contains(local.identity_fields, field)]
  }
  identity_models = {
    for key, schema in local.route_schemas : key => jsonencode(merge(
      { for name, value in schema : name => value if name != "required" },
      [for required in [local.identity_required[key]] : { required = required } if length(required) > 0]...
    ))
  }
  cognito = var.auth == "cognito"

  routes = {
    for route in local.api.routes : "${route.method} ${route.path}" => merge(route, {
      resource_path      = route.path
      path_part          = trimprefix(route.path, "/")
      cognito_authorizer = local.cognito
      schema_json        = local.cognito ? local.identity_models["${route.method} ${route.path}"] : file("${local.dir}/${route.schema}")
      request_template = templatefile("${local.dir}/${local.api.templates.request}", {
        event_bus_name = local.names.event_bus
        source         = route.source
        detail_type    = route.detail_type
      })
    })
  }
  response_schema_json = file("${local.dir}/api/response.schema.json")
  # HTTP API (api = "http"): the EventBridge-PutEvents integration subtype takes each PutEvents
  # entry field as a parameter mapping, not a template. Detail is written as JSON text with the
  # body's fields substituted one by one (strings quoted, integers bare), plus what the REST
  # template adds: request_id and occurred_at. A mapping cannot escape a value, default an absent
  # field or reformat a time, so the detail differs from the REST API's (terraform/README.md).
  # With auth = "cognito" the identity fields come from the JWT authorizer's claims, after every
  # body field: a body value is substituted unescaped, so it can add a key ("p\",\"email\":\"x"),
  # and a JSON object's last duplicate key is the one a parser keeps.
  claim_names = { user = "sub", email = "email" }
  http_detail_fields = {
    for key, schema in local.route_schemas : key => concat(
      [
        for field, spec in schema.properties : (
          spec.type == "string" ? "\"${field}\":\"$${request.body.${field}}\"" : "\"${field}\":$${request.body.${field}}"
        ) if !(local.cognito && contains(local.identity_fields, field))
      ],
      [
        for field, spec in schema.properties : "\"${field}\":\"$${context.authorizer.claims.${local.claim_names[field]}}\""
        if local.cognito && contains(local.identity_fields, field)
      ],
    )
  }
  http_routes = {
    for route in local.api.routes : "${route.method} ${route.path}" => {
      route_key = "${route.method} ${route.path}"
      request_parameters = {
        EventBusName = local.names.event_bus
        Source       = route.source
        DetailType   = route.detail_type
        Detail = "{${join(",", concat(local.http_detail_fields["${route.method} ${route.path}"], [
          "\"request_id\":\"$${context.requestId}\"",
          "\"occurred_at\":\"$${context.requestTime}\"",
        ]))}}"
      }
      jwt_authorizer = local.cognito
    }
  }

  api_templates = {
    response         = file("${local.dir}/${local.api.templates.response}")
    failure          = file("${local.dir}/${local.api.templates.failure}")
    bad_request_body = file("${local.dir}/${local.api.templates.bad_request_body}")
  }

  # ---------------------------------------------------------------- settings
  setting_defaults = { for name, setting in local.stack.settings : name => setting.default if setting.default != null }
  # Settings whose value is the deployment itself: no default, no override. The service name is
  # the stack's name, so each environment's custom metrics (the `service` dimension) and logs are
  # its own, and its alarms and dashboard watch only those (dev, staging and prod share a region).
  derived_settings   = { POWERTOOLS_SERVICE_NAME = var.name, SES_MAX_SEND_RATE = tostring(local.ses_max_send_rate) }
  overridden_derived = setintersection(keys(var.setting_values), keys(local.derived_settings))
  settings           = merge(local.setting_defaults, var.setting_values, local.derived_settings)
  unknown_settings   = setsubtract(keys(var.setting_values), keys(local.stack.settings))
  missing_settings = sort(distinct(flatten([
    for fn, spec in local.stack.functions : [for name in spec.environment : "${fn}: ${name}" if lookup(local.settings, name, null) == null]
  ])))
  # Exactly the names the function declares, so Terraform and the code can never disagree; a
  # declared setting without a value fails the plan (see the output precondition).
  environment = {
    for fn, spec in local.stack.functions : fn => {
      for name in spec.environment : name => lookup(local.settings, name, "")
    }
  }

  # ---------------------------------------------------------------- IAM (as data)
  # Actions that support no resource-level permission, so "*" is the narrowest possible Resource.
  # Source: the Service Authorization Reference, where these actions list no resource type.
  actions_without_resource_types = {
    "xray:PutTraceSegments"    = "X-Ray PutTraceSegments lists no resource type."
    "xray:PutTelemetryRecords" = "X-Ray PutTelemetryRecords lists no resource type."
  }

  function_statements = {
    schedule_reminder = [
      {
        sid       = "ManageReminderSchedulesInTheGroup"
        actions   = ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"]
        resources = [local.arns.schedules]
        condition = {}
      },
      {
        sid       = "PassTheSchedulerRoleToSchedulerOnly"
        actions   = ["iam:PassRole"]
        resources = [local.arns.scheduler_role]
        condition = { StringEquals = { "iam:PassedToService" = "scheduler.amazonaws.com" } }
      },
      {
        sid       = "ReadTheNewestRemindedAdd"
        actions   = ["dynamodb:GetItem"]
        resources = [local.arns.idempotency_table]
        condition = {}
      },
      # Each schedule is recorded on its user's record (and gone ones forgotten), so checkout never lists.
      {
        sid       = "RecordPendingSchedules"
        actions   = ["dynamodb:UpdateItem"]
        resources = [local.arns.idempotency_table]
        condition = {}
      },
    ]
    cancel_reminders = [
      {
        # Also reads the user's pending schedules (ReturnValues) and forgets the cancelled ones.
        sid       = "RememberRemovalsAndCheckouts"
        actions   = ["dynamodb:UpdateItem"]
        resources = [local.arns.idempotency_table]
        condition = {}
      },
      {
        sid       = "ReadAndDeleteReminderSchedulesInTheGroup"
        actions   = ["scheduler:GetSchedule", "scheduler:DeleteSchedule"]
        resources = [local.arns.schedules]
        condition = {}
      },
    ]
    send_reminder = [
      {
        sid       = "SendAsTheSenderIdentityOnly"
        actions   = ["ses:SendEmail"]
        resources = [local.arns.sender_identity]
        condition = {}
      },
      # A send naming a configuration set is authorized against that set too.
      {
        sid       = "SendWithTheRemindersConfigurationSet"
        actions   = ["ses:SendEmail"]
        resources = [local.arns.ses_configuration]
        condition = {}
      },
      # In the SES sandbox, SES also authorizes SendEmail against each recipient's identity.
      {
        sid       = "SandboxRecipientsFromTheSenderOnly"
        actions   = ["ses:SendEmail"]
        resources = [for recipient in var.sandbox_recipients : "${local.arn_prefix.ses}:identity/${recipient}"]
        condition = { StringEquals = { "ses:FromAddress" = lookup(local.settings, "SENDER_EMAIL", "") } }
      },
      # A reminder SES cannot take yet goes back to its queue with a delay; one SES refuses for
      # good goes to the queue's DLQ at once. Both queues are encrypted with the stack key: a
      # send needs GenerateDataKey and Decrypt through SQS, and the queue consumer's
      # DecryptQueueReminders below already grants that Decrypt.
      {
        sid       = "RequeueAndDeadLetterReminders"
        actions   = ["sqs:SendMessage"]
        resources = [local.arns.queues["reminders"], local.arns.queue_dlqs["reminders"]]
        condition = {}
      },
      {
        sid       = "EncryptRequeuedReminders"
        actions   = ["kms:GenerateDataKey"]
        resources = [var.kms_key_arn]
        condition = { StringEquals = { "kms:ViaService" = "sqs.${var.region}.amazonaws.com" } }
      },
      {
        sid       = "AnnounceOnTheBus"
        actions   = ["events:PutEvents"]
        resources = [local.arns.event_bus]
        condition = {}
      },
      {
        sid       = "IdempotencyRecords"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [local.arns.idempotency_table]
        condition = {}
      },
    ]
  }

  # The Lambda service polls a queue with the consumer's role (event source mapping), and the
  # queue is encrypted with the stack key, so the consumer also needs kms:Decrypt.
  consumer_statements = {
    for fn in keys(local.stack.functions) : fn => flatten([
      for queue, spec in local.stack.queues : [
        {
          sid       = "ConsumeQueue${replace(title(replace(queue, "_", " ")), " ", "")}"
          actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
          resources = [local.arns.queues[queue]]
          condition = {}
        },
        {
          sid       = "DecryptQueue${replace(title(replace(queue, "_", " ")), " ", "")}"
          actions   = ["kms:Decrypt"]
          resources = [var.kms_key_arn]
          condition = { StringEquals = { "kms:ViaService" = "sqs.${var.region}.amazonaws.com" } }
        },
      ] if spec.consumer == fn
    ])
  }

  # A table encrypted with a customer managed key: DynamoDB calls KMS as the caller, with the
  # table's encryption context (DescribeKey has none). Derived from the table statements above,
  # so a function granted the table is granted its key, and no other function is.
  table_writes = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
  table_actions = {
    for fn in keys(local.stack.functions) : fn => distinct(flatten([
      for s in lookup(local.function_statements, fn, []) : [for a in s.actions : a if startswith(a, "dynamodb:")]
    ]))
  }
  table_key_statements = {
    for fn, actions in local.table_actions : fn => length(actions) == 0 ? [] : [
      {
        sid       = "DescribeTheTableKeyThroughDynamoDB"
        actions   = ["kms:DescribeKey"]
        resources = [var.kms_key_arn]
        condition = { StringEquals = { "kms:ViaService" = "dynamodb.${var.region}.amazonaws.com" } }
      },
      {
        sid       = "UseTheTableKeyThroughDynamoDB"
        actions   = length(setintersection(actions, local.table_writes)) > 0 ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"]
        resources = [var.kms_key_arn]
        condition = {
          StringEquals = {
            "kms:ViaService"                                  = "dynamodb.${var.region}.amazonaws.com"
            "kms:EncryptionContext:aws:dynamodb:tableName"    = local.names.idempotency_table
            "kms:EncryptionContext:aws:dynamodb:subscriberId" = var.account_id
          }
        }
      },
    ]
  }

  all_function_statements = {
    for fn in keys(local.stack.functions) : fn => [
      for s in concat(lookup(local.function_statements, fn, []), local.table_key_statements[fn], local.consumer_statements[fn]) : s if length(s.resources) > 0
    ]
  }

  scheduler_role_statements = [
    {
      sid       = "PutRemindersOnTheBus"
      actions   = ["events:PutEvents"]
      resources = [local.arns.event_bus]
      condition = {}
    },
    {
      sid       = "DeadLetterUndeliveredReminders"
      actions   = ["sqs:SendMessage"]
      resources = [local.arns.scheduler_dlq]
      condition = {}
    },
    {
      sid       = "EncryptDeadLetters"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [var.kms_key_arn]
      condition = { StringEquals = { "kms:ViaService" = "sqs.${var.region}.amazonaws.com" } }
    },
  ]

  api_role_statements = [
    {
      sid       = "PutCartEventsOnTheBus"
      actions   = ["events:PutEvents"]
      resources = [local.arns.event_bus]
      condition = {}
    },
  ]

  policy_documents = {
    functions = {
      for fn, statements in local.all_function_statements : fn => jsonencode({
        Version = "2012-10-17"
        Statement = [
          for s in statements : merge(
            { Sid = s.sid, Effect = "Allow", Action = s.actions, Resource = s.resources },
            [for c in [s.condition] : { Condition = c } if length(c) > 0]...
          )
        ]
      })
    }
    scheduler_role = jsonencode({
      Version = "2012-10-17"
      Statement = [
        for s in local.scheduler_role_statements : merge(
          { Sid = s.sid, Effect = "Allow", Action = s.actions, Resource = s.resources },
          [for c in [s.condition] : { Condition = c } if length(c) > 0]...
        )
      ]
    })
    api_role = jsonencode({
      Version = "2012-10-17"
      Statement = [
        for s in local.api_role_statements : { Sid = s.sid, Effect = "Allow", Action = s.actions, Resource = s.resources }
      ]
    })
  }

  # ---------------------------------------------------------------- trust and resource policies
  # Who may assume each role, who may send to each queue, and the key policy: documents here, so
  # the cartflow module attaches exactly what the local stack authorizes with (cartlocal.iam).
  trust_policies = {
    # API Gateway assumes an integration's credentials role without aws:SourceAccount or
    # aws:SourceArn in the request context, so a condition on either denies every request. The
    # role may only put events on this stack's bus, which bounds what a confused deputy could do.
    api_role = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid       = "ApiGateway"
        Effect    = "Allow"
        Principal = { Service = "apigateway.amazonaws.com" }
        Action    = "sts:AssumeRole"
      }]
    })
    scheduler_role = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid       = "SchedulerOfThisAccountAndGroup"
        Effect    = "Allow"
        Principal = { Service = "scheduler.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike      = { "aws:SourceArn" = local.arns.schedule_group }
        }
      }]
    })
    # EventBridge assumes it for the one rule on the default bus that forwards SES's email events.
    ses_events_role = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid       = "TheSesForwardingRuleOnly"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnEquals    = { "aws:SourceArn" = local.arns.ses_events_rule }
        }
      }]
    })
  }

  # The forwarding rule's role may only put events on the stack's bus.
  ses_events_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "PutOnTheStackBus", Effect = "Allow", Action = "events:PutEvents", Resource = local.arns.event_bus }]
  })

  # EventBridge may send to a work queue only for the rules that target it.
  queue_policies = {
    for queue in keys(local.stack.queues) : queue => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid       = "EventBridgeRulesTargetingThisQueue"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = local.arns.queues[queue]
        Condition = { ArnEquals = { "aws:SourceArn" = [for rule, spec in local.rules : local.arns.rules[rule] if spec.queue == queue] } }
      }]
    })
  }

  # EventBridge dead-letters undeliverable events of this stack's rules only.
  rule_target_dlq_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeRulesOfThisStack"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.arns.rule_target_dlq
      Condition = { ArnEquals = { "aws:SourceArn" = values(local.arns.rules) } }
    }]
  })

  # IAM policies of the roles that use the key go through the account statement; AWS services that
  # encrypt on their own behalf (CloudWatch Logs, EventBridge delivering to queues, CloudWatch
  # alarms publishing to the topic) are named, each limited to this account.
  # What Terraform does with the key and through it when it creates, reads, updates, tags and
  # destroys the stack (docs/deploy-permissions.md, aws_kms_key and aws_kms_alias rows, and the
  # grants and data keys the log groups, queues, topic, table and functions ask for at creation).
  key_administration_actions = [
    "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription",
  ]

  kms_key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "AccountAdministersAndDelegatesToIam"
        Effect    = "Allow"
        Principal = { AWS = local.arns.account_root }
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
          Principal = { Service = "logs.${var.region}.amazonaws.com" }
          Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
          Resource  = "*"
          Condition = {
            ArnLike = {
              "kms:EncryptionContext:aws:logs:arn" = [
                "${local.arn_prefix.logs}:log-group:/aws/lambda/${var.name}-*",
                "${local.arn_prefix.logs}:log-group:/aws/apigateway/${var.name}-*",
                # The REST stage's execution logs: named by the API's random id, not the stack's.
                "${local.arn_prefix.logs}:log-group:API-Gateway-Execution-Logs_*",
              ]
            }
          }
        },
        # EventBridge sending to this stack's SSE-KMS queues: SQS asks for the data key as the
        # sender. AWS says aws:SourceAccount/aws:SourceArn are not supported in key policies for
        # EventBridge to encrypted SNS topics and says nothing for queues, so the conditions are
        # what SQS's own request to KMS carries: the service and the queue's ARN as encryption context.
        {
          Sid       = "EventBridgeDeliversToEncryptedQueues"
          Effect    = "Allow"
          Principal = { Service = "events.amazonaws.com" }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource  = "*"
          Condition = {
            StringEquals = { "kms:ViaService" = "sqs.${var.region}.amazonaws.com" }
            StringLike   = { "kms:EncryptionContext:aws:sqs:arn" = "${local.arn_prefix.sqs}:${var.name}-*" }
          }
        },
        {
          Sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
          Effect    = "Allow"
          Principal = { Service = "cloudwatch.amazonaws.com" }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
        },
    ])
  })

  # Statements every function needs whatever its handler does (the lambda_function module attaches
  # them as the role's "runtime" policy). X-Ray's two actions support no resource-level
  # permission, so "*" is the narrowest Resource they accept.
  function_runtime_policies = {
    for fn, name in local.names.functions : fn => jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${local.arn_prefix.logs}:log-group:/aws/lambda/${name}:*"]
        },
        {
          Sid      = "TraceWithXRay"
          Effect   = "Allow"
          Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
          Resource = ["*"]
        },
        # Lambda encrypts the environment at rest with the context aws:lambda:FunctionArn.
        {
          Sid       = "DecryptOwnEnvironment"
          Effect    = "Allow"
          Action    = ["kms:Decrypt"]
          Resource  = [var.kms_key_arn]
          Condition = { StringEquals = { "kms:EncryptionContext:aws:lambda:FunctionArn" = local.arns.functions[fn] } }
        },
        {
          Sid      = "SendFailedInvocations"
          Effect   = "Allow"
          Action   = ["sqs:SendMessage"]
          Resource = [local.arns.async_failure_dlq]
        },
        {
          Sid       = "EncryptFailedInvocations"
          Effect    = "Allow"
          Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
          Resource  = [var.kms_key_arn]
          Condition = { StringEquals = { "kms:ViaService" = "sqs.${var.region}.amazonaws.com" } }
        },
      ]
    })
  }
}
