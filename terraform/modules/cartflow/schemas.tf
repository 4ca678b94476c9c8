# The contract published to an EventBridge Schema Registry, so other teams of the same account can
# discover each event (and generate code bindings) without reading this repository. Same-account
# only: another account reads a registry only through a resource policy naming it
# (aws_schemas_registry_policy), and no consumer account is known. A content change publishes a new
# schema version; module.contract derives the documents from the contract's schema files.

resource "aws_schemas_registry" "events" {
  name        = local.names.schema_registry
  description = "Events on the ${local.names.event_bus} bus, from cartflow/contract."
  tags        = local.tags
}

resource "aws_schemas_schema" "events" {
  for_each = module.contract.registry_schemas

  name          = each.key
  registry_name = aws_schemas_registry.events.name
  type          = "JSONSchemaDraft4"
  description   = each.value.description
  content       = each.value.content
  tags          = local.tags
}
