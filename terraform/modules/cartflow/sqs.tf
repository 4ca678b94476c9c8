# Work queues from stack.json "queues" (each with its own DLQ), plus the dead-letter queues of
# the rule targets, of Scheduler and of failed asynchronous Lambda invocations. All encrypted with
# the stack key.

locals {
  # Failed messages are kept as long as SQS allows, to leave time to redrive them.
  dead_letter_retention_seconds = 1209600

  # Every DLQ, for the depth alarms: key => queue name.
  dead_letter_queues = merge(
    { for queue, spec in module.contract.queues : "${queue}_dlq" => aws_sqs_queue.dlq[queue].name },
    {
      scheduler_dlq     = aws_sqs_queue.scheduler_dlq.name
      rule_target_dlq   = aws_sqs_queue.rule_target_dlq.name
      async_failure_dlq = aws_sqs_queue.async_failure_dlq.name
    },
  )
}

resource "aws_sqs_queue" "dlq" {
  for_each = module.contract.queues

  name                              = each.value.dlq_name
  message_retention_seconds         = each.value.dlq_message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "this" {
  for_each = module.contract.queues

  name                              = each.value.name
  visibility_timeout_seconds        = each.value.visibility_timeout_seconds
  message_retention_seconds         = each.value.message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
  tags = local.tags
}

# Only the queue's own source may dead-letter into its DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = module.contract.queues

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[each.key].arn]
  })
}

resource "aws_sqs_queue" "scheduler_dlq" {
  name                              = local.names.scheduler_dlq
  message_retention_seconds         = local.dead_letter_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "rule_target_dlq" {
  name                              = local.names.rule_target_dlq
  message_retention_seconds         = local.dead_letter_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "async_failure_dlq" {
  name                              = local.names.async_failure_dlq
  message_retention_seconds         = local.dead_letter_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

# EventBridge may send to a work queue only for the rules that target it, and dead-letter
# undeliverable events of this stack's rules only (documents: the contract module).
resource "aws_sqs_queue_policy" "this" {
  for_each = module.contract.queue_policies

  queue_url = aws_sqs_queue.this[each.key].id
  policy    = each.value
}

resource "aws_sqs_queue_policy" "rule_target_dlq" {
  queue_url = aws_sqs_queue.rule_target_dlq.id
  policy    = module.contract.rule_target_dlq_policy
}
