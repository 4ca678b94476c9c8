variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "region" {
  description = "Region every environment of the stack is deployed in."
  type        = string
}

variable "account_id" {
  description = "Account the stack's resources live in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "stack_prefix" {
  description = "Prefix of every resource name of one environment's stack (<name_prefix>-<env>), which the boundary scopes every grant to."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]+$", var.stack_prefix))
    error_message = "stack_prefix must be lowercase letters, digits and hyphens."
  }
}
