# Optional identity (var.auth = "cognito"): a Cognito user pool whose ID tokens every API method
# requires. The request template then takes user and email from the token's claims and ignores
# the body's (cartflow/contract/api/put_events.request.vtl), so a caller can act only as itself;
# the models stop requiring those fields (the contract module derives them from the same schemas).

locals {
  cognito = var.auth == "cognito"
}

resource "aws_cognito_user_pool" "this" {
  count = local.cognito ? 1 : 0

  name = "${var.name}-users"
  # Users are the shoppers: deleting the pool deletes every account, so production protects it.
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # Shoppers sign up with their email, which must be verified before they can sign in: the
  # reminder goes to the token's email claim, so an unverified address could be someone else's.
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

  username_configuration {
    case_sensitive = false
  }

  schema {
    name                = "email"
    attribute_data_type = "String"
    required            = true
    mutable             = true

    string_attribute_constraints {
      min_length = 6
      max_length = 254
    }
  }

  # MFA is offered (TOTP) without being forced on shoppers; Plus-tier threat protection
  # (user_pool_add_ons) is a cost decision left to the account owner.
  mfa_configuration = "OPTIONAL"

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  admin_create_user_config {
    allow_admin_create_user_only = false
  }

  tags = local.tags
}

# The shop's front end: a public client (no secret, it cannot keep one), SRP sign-in only, short
# tokens, revocable refresh tokens, and no hint whether an account exists.
resource "aws_cognito_user_pool_client" "this" {
  count = local.cognito ? 1 : 0

  name                          = "${var.name}-app"
  user_pool_id                  = aws_cognito_user_pool.this[0].id
  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  read_attributes               = ["email", "email_verified"]
  write_attributes              = ["email"]

  id_token_validity      = 60
  access_token_validity  = 60
  refresh_token_validity = 30

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }
}

# Without authorization scopes the authorizer accepts the pool's ID tokens (signature, expiry,
# issuer, audience = an app client of the pool) and passes their claims to the mapping template.
resource "aws_api_gateway_authorizer" "cognito" {
  count = local.cognito && local.rest_api ? 1 : 0

  name            = "${var.name}-cognito"
  rest_api_id     = aws_api_gateway_rest_api.this[0].id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = [aws_cognito_user_pool.this[0].arn]
  identity_source = "method.request.header.Authorization"
}
