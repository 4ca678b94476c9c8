"""The local REST API against one moto stack per module: routing, validation, failures, templates."""
