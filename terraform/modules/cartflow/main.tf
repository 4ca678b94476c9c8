# cartflow: the whole stack of one environment. Every name, pattern, schema, template, setting and
# IAM policy comes from module.contract (cartflow/contract); this module only turns them into
# resources. Files: kms.tf, sqs.tf, events.tf, scheduler.tf, functions.tf, api.tf, dynamodb.tf,
# ses.tf, alarms.tf (alarms and the dashboard), schemas.tf.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  names      = module.contract.names
  tags       = merge({ Application = "cartflow", Stack = var.name }, var.tags)
}

module "contract" {
  source = "../contract"

  contract_dir    = var.contract_dir
  auth            = var.auth
  name            = var.name
  partition       = local.partition
  region          = local.region
  account_id      = local.account_id
  kms_key_arn     = aws_kms_key.this.arn
  sender_identity = coalesce(var.sender_identity, var.sender_email)

  ses_max_send_rate = var.ses_max_send_rate

  sandbox_recipients     = var.ses_sandbox ? var.sandbox_recipients : []
  built_architectures    = { for fn, code in var.function_code : fn => code.architecture if code.architecture != null }
  key_administrator_arns = var.key_administrator_arns

  # The deployment's value of each contract setting; which function gets which is decided by the
  # contract (stack.json functions.<fn>.environment), never here.
  setting_values = merge(var.setting_overrides, {
    EVENT_BUS_ARN          = aws_cloudwatch_event_bus.this.arn
    SCHEDULE_GROUP         = aws_scheduler_schedule_group.reminders.name
    SCHEDULER_ROLE_ARN     = aws_iam_role.scheduler.arn
    SCHEDULER_DLQ_ARN      = aws_sqs_queue.scheduler_dlq.arn
    REMINDER_DELAY_SECONDS = tostring(var.reminder_delay_seconds)
    IDEMPOTENCY_TABLE      = aws_dynamodb_table.idempotency.name
    SENDER_EMAIL           = var.sender_email
    SES_CONFIGURATION_SET  = aws_sesv2_configuration_set.reminders.configuration_set_name
    REMINDER_QUEUE_URL     = aws_sqs_queue.this["reminders"].url
    REMINDER_DLQ_URL       = aws_sqs_queue.dlq["reminders"].url
  })
}
