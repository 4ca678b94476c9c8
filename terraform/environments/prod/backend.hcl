# S3 backend of the prod environment: `terraform init -backend-config=backend.hcl` (make plan ENV=prod).
# Replace the bucket with the state bucket created by terraform/bootstrap (one per account).
bucket       = "REPLACE-ME-cartflow-terraform-state"
key          = "cartflow/prod/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
