# The reminder schedules live in their own group (schedule_reminder creates them, cancel_reminders
# deletes them). Scheduler assumes this role to put CartReminderDue on the bus, and dead-letters
# what it could not deliver.

resource "aws_scheduler_schedule_group" "reminders" {
  name = local.names.schedule_group
  tags = local.tags
}

resource "aws_iam_role" "scheduler" {
  name                 = local.names.scheduler_role
  description          = "Assumed by EventBridge Scheduler for the ${local.names.schedule_group} schedules."
  permissions_boundary = var.permissions_boundary
  assume_role_policy   = module.contract.trust_policies.scheduler_role
  tags                 = local.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "put-reminders"
  role   = aws_iam_role.scheduler.id
  policy = module.contract.scheduler_role_policy
}
