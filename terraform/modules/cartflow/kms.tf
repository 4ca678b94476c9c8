# One customer managed key for the stack's logs, queues, topic and table. Its key policy is the
# contract module's (who may use the key, and through which service).

resource "aws_kms_key" "this" {
  description             = "cartflow ${var.name}: logs, queues, alarm topic, idempotency table"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = module.contract.kms_key_policy
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = local.names.kms_alias
  target_key_id = aws_kms_key.this.key_id
}
