variable "region" {
  description = "AWS region of the buckets, and of every environment deployed from them."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every name created here, and of the environments' resource names (<name_prefix>-<env>-...), which the deploy roles are scoped to."
  type        = string
  default     = "cartflow"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name_prefix))
    error_message = "name_prefix must be 2-20 lowercase letters, digits or hyphens, starting with a letter (bucket names have 63 characters)."
  }
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the roles; nothing else can. Case-sensitive: spell it exactly as GitHub does (gh repo view --json nameWithOwner), because the trust compares the OIDC token's sub with StringEquals."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. acme/cartflow."
  }
}

variable "environments" {
  description = "Deployment environments, in promotion order. Each gets a deploy role trusted only for the GitHub environment of the same name."
  type        = list(string)
  default     = ["dev", "staging", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env in var.environments : can(regex("^[a-z][a-z0-9]{1,11}$", env))])
    error_message = "environments must be 2-12 lowercase letters or digits each, starting with a letter."
  }
  validation {
    condition     = length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must not repeat a name."
  }
}

variable "publish_ref" {
  description = "The only git ref whose workflow runs may publish artifacts (OIDC subject repo:<repository>:ref:<publish_ref>)."
  type        = string
  default     = "refs/heads/main"

  validation {
    condition     = can(regex("^refs/(heads|tags)/[A-Za-z0-9._/-]+$", var.publish_ref))
    error_message = "publish_ref must be a full ref such as refs/heads/main."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider; set false if the account already has one (it is then looked up)."
  type        = bool
  default     = true
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version is kept (state history, earlier pointers and artifacts) before it expires."
  type        = number
  default     = 365

  validation {
    condition     = var.noncurrent_version_retention_days >= 30 && var.noncurrent_version_retention_days <= 3650
    error_message = "noncurrent_version_retention_days must be between 30 and 3650."
  }
}

variable "access_log_retention_days" {
  description = "Days the S3 server access logs of the state and artifact buckets are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90 && var.access_log_retention_days <= 3650
    error_message = "access_log_retention_days must be between 90 and 3650."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the bootstrap KMS key is deleted after being scheduled for deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource created here."
  type        = map(string)
  default     = { project = "cartflow" }
}
