variable "function_name" {
  description = "Name of the Lambda function (also names its role and log group)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Entry point, module.function (stack.json functions.<fn>.handler)."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier (stack.json functions.<fn>.runtime)."
  type        = string

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "runtime must be a python3.x runtime."
  }
}

variable "architecture" {
  description = "Instruction set architecture: x86_64 or arm64 (stack.json functions.<fn>.architecture)."
  type        = string

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "code" {
  description = "Where the deployment package comes from: a local zip (filename + source_code_hash) or an S3 object (s3_bucket + s3_key, optionally s3_object_version, e.g. from a release manifest). source_code_hash is the base64 SHA-256 of the zip; a change redeploys."
  type = object({
    filename          = optional(string)
    source_code_hash  = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
  })

  validation {
    condition     = (var.code.filename != null) != (var.code.s3_bucket != null && var.code.s3_key != null)
    error_message = "code must set either filename (a local zip: run `make package` to write dist/manifest.json) or both s3_bucket and s3_key (a released artifact), not both."
  }
  validation {
    condition     = var.code.filename == null || var.code.source_code_hash != null
    error_message = "code.source_code_hash is required with code.filename, so a changed zip redeploys."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function (from the contract module's environment output)."
  type        = map(string)
  default     = {}
}

variable "policy_json" {
  description = "IAM policy document (JSON) of what the handler itself calls; logging, tracing and failure-destination permissions come in runtime_policy_json."
  type        = string

  validation {
    condition     = can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be an IAM policy document with a Statement list."
  }
}

variable "attach_handler_policy" {
  description = "Whether policy_json has statements, so the handler policy is attached (the contract module's function_has_handler_policy). A plain bool because count must be known at plan time, and policy_json is not on a new stack."
  type        = bool
}

variable "runtime_policy_json" {
  description = "IAM policy document (JSON) of what every function needs whatever its handler does: its own logs, X-Ray, its environment's key, its failure destination (the contract module's function_runtime_policies)."
  type        = string

  validation {
    condition     = can(jsondecode(var.runtime_policy_json).Statement)
    error_message = "runtime_policy_json must be an IAM policy document with a Statement."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the log group and the environment variables."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "snapstart" {
  description = "Publish a version per change with SnapStart (ApplyOn = PublishedVersions) and point the alias at it; false points the alias at $LATEST."
  type        = bool
  default     = false
}

variable "alias_name" {
  description = "Name of the alias every trigger invokes."
  type        = string
  default     = "live"
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 leaves the function unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a non-negative number."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (0-2)."
  type        = number
  default     = 2

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 2
    error_message = "maximum_retry_attempts must be between 0 and 2."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "Oldest asynchronous event the function is still invoked with (60-21600)."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 21600
    error_message = "maximum_event_age_in_seconds must be between 60 and 21600."
  }
}

variable "on_failure_destination_arn" {
  description = "SQS queue receiving asynchronous invocations that failed every retry (encrypted with kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:", var.on_failure_destination_arn))
    error_message = "on_failure_destination_arn must be an SQS queue ARN."
  }
}

variable "tags" {
  description = "Tags of every resource of the module."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary" {
  description = "ARN of the managed policy the execution role carries as its permissions boundary (null: none)."
  type        = string
  default     = null
}
