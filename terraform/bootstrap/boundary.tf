# The permissions boundary of every role an environment's stack creates. The deploy role may
# create and change its stack's roles only with this boundary attached (deploy_stack.tf), and it
# cannot change the boundary itself (its name is outside <name_prefix>-<env>-*), so no inline
# policy it writes can lift a stack role beyond what the stack's own calls need, on that
# environment's resources: logs and traces, its bus, its schedules, its table, its queues, the
# KMS uses of those services, sending email, and passing its own roles to Scheduler.
#
# The document itself is the provider-free module terraform/modules/boundary, so that the local
# authorization plane evaluates exactly what is attached here (cartlocal/iam/boundary.py).

resource "aws_iam_policy" "boundary" {
  for_each = toset(var.environments)

  name        = "${var.name_prefix}-boundary-${each.key}"
  description = "Permissions boundary of every role of ${local.stack_prefix[each.key]}."
  policy      = module.boundary_document[each.key].json
}

module "boundary_document" {
  source   = "../modules/boundary"
  for_each = toset(var.environments)

  partition    = local.partition
  region       = var.region
  account_id   = local.account_id
  stack_prefix = local.stack_prefix[each.key]
}
