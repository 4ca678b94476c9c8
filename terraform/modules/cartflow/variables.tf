variable "name" {
  description = "Name of this deployment, e.g. cartflow-dev; prefixes every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}[a-z0-9]$", var.name))
    error_message = "name must be 4-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "contract_dir" {
  description = "Directory of the cartflow contract; null means the repository's cartflow/contract."
  type        = string
  default     = null
}

variable "function_code" {
  description = "Deployment package of every function (keys = stack.json function names): a local zip {filename, source_code_hash} from dist/manifest.json, or a released S3 artifact {s3_bucket, s3_key, s3_object_version}; architecture is what the zip was built for, checked against stack.json."
  type = map(object({
    filename          = optional(string)
    source_code_hash  = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
    architecture      = optional(string)
  }))
}

variable "reminder_delay_seconds" {
  description = "Seconds between adding an item to a cart and its reminder email (REMINDER_DELAY_SECONDS)."
  type        = number

  validation {
    condition     = var.reminder_delay_seconds >= 60 && floor(var.reminder_delay_seconds) == var.reminder_delay_seconds
    error_message = "reminder_delay_seconds must be a whole number of at least 60."
  }
}

variable "ses_max_send_rate" {
  description = "The account's SES maximum send rate in this region, in emails per second (SES_MAX_SEND_RATE; the SES console's sending quotas): the reminder queue's event source mapping and send_reminder's pace are derived from it."
  type        = number

  validation {
    condition     = var.ses_max_send_rate >= 1 && var.ses_max_send_rate <= 5000 && floor(var.ses_max_send_rate) == var.ses_max_send_rate
    error_message = "ses_max_send_rate must be a whole number of emails per second, 1 to 5000."
  }
}

variable "sender_email" {
  description = "Email address reminders are sent from (SENDER_EMAIL); it must be, or belong to, a verified SES identity."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$", var.sender_email))
    error_message = "sender_email must be an email address."
  }
}

variable "create_sender_identity" {
  description = "Create the SES email identity of sender_email (false when the identity, or its domain, is managed elsewhere)."
  type        = bool
  default     = true
}

variable "sender_identity" {
  description = "SES identity send_reminder may send as: null means sender_email itself; set the domain when the domain is the verified identity."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "Email subscribed to the alarm topic; null subscribes nobody (subscribe a pager elsewhere)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$", var.alarm_email))
    error_message = "alarm_email must be null or an email address."
  }
}

variable "log_retention_in_days" {
  description = "Retention of every log group (functions and API access logs), in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts."
  }
}

variable "archive_retention_days" {
  description = "Days the event archive keeps cartflow events for replay (0 = forever)."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_retention_days >= 0
    error_message = "archive_retention_days must be 0 (indefinitely) or positive."
  }
}

variable "api" {
  description = "API in front of the bus: \"rest\" (validates bodies, answers its own messages, 5xx when EventBridge drops the entry) or \"http\" (the EventBridge-PutEvents integration: cheaper, no validation, PutEvents' own answer; see terraform/README.md)."
  type        = string
  default     = "rest"

  validation {
    condition     = contains(["rest", "http"], var.api)
    error_message = "api must be \"rest\" or \"http\"."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second the API stage accepts."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be positive."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests the API stage accepts."
  type        = number
  default     = 100

  validation {
    condition     = var.api_throttling_burst_limit > 0 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a positive whole number."
  }
}

variable "api_stage_name" {
  description = "Name of the API stage (part of the URL)."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.api_stage_name))
    error_message = "api_stage_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "auth" {
  description = "Who API callers are: \"iam\" (methods use api_authorization; the body names the user) or \"cognito\" (a user pool is created and every method requires its ID token; user and email come from the token's claims, any in the body are ignored)."
  type        = string
  default     = "iam"

  validation {
    condition     = contains(["iam", "cognito"], var.auth)
    error_message = "auth must be \"iam\" or \"cognito\"."
  }
}

variable "api_authorization" {
  description = "Authorization of every API method when auth = \"iam\": AWS_IAM (callers sign requests, e.g. with Cognito identity-pool credentials) or NONE (anonymous, only behind another guard)."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.api_authorization)
    error_message = "api_authorization must be AWS_IAM or NONE."
  }
}

variable "api_execution_logging_level" {
  description = "API Gateway execution log level (OFF, ERROR, INFO). ERROR/INFO need the region's API Gateway CloudWatch role, which terraform/bootstrap sets."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_execution_logging_level)
    error_message = "api_execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "ses_sandbox" {
  description = "The account's SES is in the sandbox: SES then also authorizes each recipient's identity, so send_reminder may send only to sandbox_recipients (from sender_email). False once the account has SES production access."
  type        = bool
  default     = false
}

variable "sandbox_recipients" {
  description = "Verified SES identities (addresses or domains) reminders may go to while ses_sandbox is true; ignored otherwise."
  type        = list(string)
  default     = []
}

variable "permissions_boundary" {
  description = "ARN of the managed policy every role of the stack carries as its permissions boundary (terraform/bootstrap creates one per environment; its deploy role may create and change roles only with it). Null: no boundary."
  type        = string
  default     = null
}

variable "key_administrator_arns" {
  description = "IAM principals the stack key's policy makes key administrators directly (the environment's deploy role), so managing the key never depends on tag-based IAM conditions."
  type        = list(string)
  default     = []
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per function name (stack.json keys); absent means unreserved."
  type        = map(number)
  default     = {}
}

variable "setting_overrides" {
  description = "Values for other contract settings (e.g. POWERTOOLS_LOG_LEVEL = \"DEBUG\"), overriding the contract defaults."
  type        = map(string)
  default     = {}
}

variable "snapstart" {
  description = "Lambda SnapStart for every function: each change publishes a version whose initialized snapshot new environments resume from; triggers invoke it through the functions' alias. See terraform/README.md for its cost and caveats."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the idempotency table (and, with auth = \"cognito\", the user pool) from deletion (true in production)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags of every resource (added to the provider's default_tags)."
  type        = map(string)
  default     = {}
}
