"""A stand-in for the hashicorp/aws Terraform provider, so `terraform plan/apply` run offline.

Why this exists: the AWS provider binary cannot be downloaded on these machines, so nothing here
ever evaluated the whole Terraform graph the way `plan` does (values unknown until apply, counts
over them, preconditions, a second plan that is not empty). This package serves the real
provider's schema (derived from the cdktf bindings' jsii assembly: `schema`), answers the plugin
protocol (tfplugin6, through the PyPI package `tf`: `plugin`), installs itself into a filesystem
mirror that `terraform init -plugin-dir` resolves as registry.terraform.io/hashicorp/aws
(`mirror`), and drives init/plan/apply/plan/destroy of every root (`runner`).
What it cannot know (server-side validation, eventual consistency, quotas, API errors) is listed
in docs/aws-fidelity.md.
"""
