variable "contract_dir" {
  description = "Directory holding the cartflow contract (stack.json, events.json, api/, events/, patterns/). Null means the repository's cartflow/contract."
  type        = string
  default     = null
}

variable "auth" {
  description = "How API callers authenticate: \"iam\" (SigV4; the body names the user) or \"cognito\" (a user-pool ID token; user and email come from its claims, so the route models no longer require them)."
  type        = string
  default     = "iam"

  validation {
    condition     = contains(["iam", "cognito"], var.auth)
    error_message = "auth must be \"iam\" or \"cognito\"."
  }
}

variable "name" {
  description = "Name of this deployment of the stack, e.g. cartflow-dev. Every resource name is derived from it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}[a-z0-9]$", var.name))
    error_message = "name must be 4-32 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "partition" {
  description = "AWS partition the stack is deployed in (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "region" {
  description = "AWS region the stack is deployed in, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits) the stack is deployed in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the stack's KMS key; the functions that read its encrypted queues or its table are granted its use through SQS or DynamoDB only (kms:ViaService)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "sender_identity" {
  description = "SES identity (email address or domain) reminders are sent from; send_reminder may send only as this identity."
  type        = string

  validation {
    condition     = can(regex("^([^@\\s]+@)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$", var.sender_identity))
    error_message = "sender_identity must be an email address or a domain name."
  }
}

variable "sandbox_recipients" {
  description = "SES sandbox only: recipient identities (addresses or domains, verified in SES) send_reminder may send to, always from SENDER_EMAIL. Empty once the account has SES production access."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.sandbox_recipients : can(regex("^([^@\\s]+@)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$", r))])
    error_message = "sandbox_recipients must be email addresses or domain names."
  }
}

variable "built_architectures" {
  description = "Architecture each function's zip was built for (dist/manifest.json or the release manifest), keyed by stack.json function; it must be the function's stack.json architecture, or the zip's compiled code may not load in Lambda."
  type        = map(string)
  default     = {}
}

variable "ses_max_send_rate" {
  description = "The account's SES maximum send rate, in emails per second: SES_MAX_SEND_RATE, and the reminder queue's event source mapping derived from it. Null: the contract's default."
  type        = number
  default     = null

  validation {
    condition     = var.ses_max_send_rate == null ? true : var.ses_max_send_rate >= 1 && floor(var.ses_max_send_rate) == var.ses_max_send_rate
    error_message = "ses_max_send_rate must be a whole number of at least 1."
  }
}

variable "setting_values" {
  description = "Values of the contract's settings (stack.json \"settings\") for this deployment; they override the contract defaults. Every setting a function declares must end up with a value."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.setting_values) : can(regex("^[A-Z][A-Z0-9_]*$", name))])
    error_message = "setting_values keys must be environment variable names (UPPER_SNAKE_CASE)."
  }
}

variable "key_administrator_arns" {
  description = "IAM principals (the environment's deploy role) the stack key's policy makes its administrators, so managing the key never waits for tag-based authorization. Empty: the account statement only."
  type        = list(string)
  default     = []
}
