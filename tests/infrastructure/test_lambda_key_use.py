"""The function role's KMS statements are conditioned on context keys Lambda actually sends.

At rest Lambda encrypts environment variables with the encryption context
``aws:lambda:FunctionArn`` = the function's ARN; ``LambdaFunctionName`` is only what the console's
encryption helpers add, so a statement conditioned on it never matches and is dead.
"""

from __future__ import annotations

from typing import Any

from tests.test_terraform_contract import LAMBDA_MODULE, load_hcl

KEYS_LAMBDA_SENDS = {"kms:ViaService", "kms:EncryptionContext:aws:lambda:FunctionArn"}


def runtime_statements() -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = load_hcl(LAMBDA_MODULE / "main.tf")["locals"][0]["runtime_statements"]
    return statements


def test_every_kms_condition_uses_a_key_lambda_or_the_calling_service_sends() -> None:
    kms = [s for s in runtime_statements() if any(str(a).startswith("kms:") for a in s["Action"])]
    assert kms
    used = {key for s in kms for keys in s.get("Condition", {}).values() for key in keys}
    assert used <= KEYS_LAMBDA_SENDS, used - KEYS_LAMBDA_SENDS


def test_environment_decryption_is_bound_to_this_functions_arn() -> None:
    [statement] = [s for s in runtime_statements() if s["Sid"] == "DecryptOwnEnvironment"]
    condition = statement["Condition"]["StringEquals"]
    assert list(condition) == ["kms:EncryptionContext:aws:lambda:FunctionArn"]
    value = condition["kms:EncryptionContext:aws:lambda:FunctionArn"]
    locals_ = load_hcl(LAMBDA_MODULE / "main.tf")["locals"][0]
    assert value == "${local.function_arn}"
    assert locals_["function_arn"].endswith(":function:${var.function_name}")
    assert ":lambda:" in locals_["function_arn"]
