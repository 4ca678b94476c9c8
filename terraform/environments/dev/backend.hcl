# S3 backend of the dev environment: `terraform init -backend-config=backend.hcl` (make plan ENV=dev).
# Replace the bucket and kms_key_id with the bootstrap's outputs (terraform output -json backend_config);
# without kms_key_id the backend writes state with SSE-S3 (AES256), not the bootstrap key.
bucket       = "REPLACE-ME-cartflow-terraform-state"
key          = "cartflow/dev/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
kms_key_id   = "arn:aws:kms:eu-west-1:REPLACE-ME:key/REPLACE-ME-bootstrap-key-id"
use_lockfile = true
