terraform {
  # 1.10 brings S3-native state locking (use_lockfile), which the environment roots rely on.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      "cartflow:component" = "bootstrap"
    })
  }
}
