# S3 backend of the dev environment: `terraform init -backend-config=backend.hcl` (make plan ENV=dev).
# Replace the bucket with the state bucket created by terraform/bootstrap (one per account).
bucket       = "REPLACE-ME-cartflow-terraform-state"
key          = "cartflow/dev/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
