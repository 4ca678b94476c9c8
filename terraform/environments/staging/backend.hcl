# S3 backend of the staging environment: `terraform init -backend-config=backend.hcl` (make plan ENV=staging).
# Replace the bucket with the state bucket created by terraform/bootstrap (one per account).
bucket       = "REPLACE-ME-cartflow-terraform-state"
key          = "cartflow/staging/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
