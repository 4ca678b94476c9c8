variable "region" {
  description = "AWS region of this environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "environment" {
  description = "Environment name; the stack is named cartflow-<environment>."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "code_source" {
  description = "Where the function zips come from: \"local\" (dist/manifest.json written by `make package`) or \"release\" (a published release: releases/<environment>.json written by `make pull ENV=<environment>`, naming each zip's S3 bucket, key and object version)."
  type        = string
  default     = "local"

  validation {
    condition     = contains(["local", "release"], var.code_source)
    error_message = "code_source must be local or release."
  }
}

variable "release_manifest" {
  description = "Path of the release manifest for code_source = \"release\", relative to the repository root; null means releases/<environment>.json."
  type        = string
  default     = null
}

variable "reminder_delay_seconds" {
  description = "Seconds between adding an item and its reminder."
  type        = number
}

variable "ses_max_send_rate" {
  description = "The account's SES maximum send rate in this region, in emails per second (the SES console's sending quotas; 1 in the sandbox): the reminder queue's event source mapping and send_reminder's pace are derived from it."
  type        = number

  validation {
    condition     = var.ses_max_send_rate >= 1 && var.ses_max_send_rate <= 5000 && floor(var.ses_max_send_rate) == var.ses_max_send_rate
    error_message = "ses_max_send_rate must be a whole number of emails per second, 1 to 5000."
  }
}

variable "sender_email" {
  description = "Verified SES sender of the reminders."
  type        = string
}

variable "sender_identity" {
  description = "SES identity reminders are sent as, when it is the domain rather than sender_email (null: sender_email)."
  type        = string
  default     = null
}

variable "create_sender_identity" {
  description = "Create the SES identity of sender_email in this environment."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "Email subscribed to the alarm topic (null: none)."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "Retention of every log group, in days."
  type        = number
}

variable "archive_retention_days" {
  description = "Retention of the event archive, in days (0 = forever)."
  type        = number
}

variable "api" {
  description = "API in front of the bus: \"rest\" or \"http\" (terraform/README.md: what the HTTP API cannot do)."
  type        = string
  default     = "rest"
}

variable "api_throttling_rate_limit" {
  description = "API requests per second."
  type        = number
}

variable "api_throttling_burst_limit" {
  description = "API burst."
  type        = number
}

variable "auth" {
  description = "Who API callers are: \"iam\" (SigV4, api_authorization) or \"cognito\" (a user pool; every method requires its ID token and the user comes from the token)."
  type        = string
  default     = "iam"

  validation {
    condition     = contains(["iam", "cognito"], var.auth)
    error_message = "auth must be \"iam\" or \"cognito\"."
  }
}

variable "api_authorization" {
  description = "AWS_IAM or NONE for every API method."
  type        = string
  default     = "AWS_IAM"
}

variable "ses_sandbox" {
  description = "This account's SES is in the sandbox (no production access): reminders may go only to sandbox_recipients."
  type        = bool
}

variable "sandbox_recipients" {
  description = "Verified SES identities reminders may go to while ses_sandbox is true; must be empty otherwise."
  type        = list(string)
  default     = []

  validation {
    condition     = (length(var.sandbox_recipients) > 0) == var.ses_sandbox
    error_message = "sandbox_recipients must list the verified recipients exactly when ses_sandbox is true."
  }
}

variable "deletion_protection" {
  description = "Protect the idempotency table from deletion."
  type        = bool
  default     = true
}

variable "snapstart" {
  description = "Lambda SnapStart for the functions (terraform/README.md: what it costs, what it changes)."
  type        = bool
  default     = false
}

variable "setting_overrides" {
  description = "Other contract settings of this environment (e.g. POWERTOOLS_LOG_LEVEL)."
  type        = map(string)
  default     = {}
}
