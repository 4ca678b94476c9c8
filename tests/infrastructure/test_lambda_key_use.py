"""The function role's KMS statements are conditioned on context keys Lambda actually sends.

At rest Lambda encrypts environment variables with the encryption context
``aws:lambda:FunctionArn`` = the function's ARN; ``LambdaFunctionName`` is only what the console's
encryption helpers add, so a statement conditioned on it never matches and is dead.
"""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.terraform import DEPLOYMENT, evaluate_contract

KEYS_LAMBDA_SENDS = {"kms:ViaService", "kms:EncryptionContext:aws:lambda:FunctionArn"}


def runtime_statements() -> dict[str, list[dict[str, Any]]]:
    """Each function's runtime statements, as the contract module computes them."""
    return {
        function: json.loads(document)["Statement"]
        for function, document in evaluate_contract()["function_runtime_policies"].items()
    }


def test_every_kms_condition_uses_a_key_lambda_or_the_calling_service_sends() -> None:
    for statements in runtime_statements().values():
        kms = [s for s in statements if any(str(a).startswith("kms:") for a in s["Action"])]
        assert kms
        used = {key for s in kms for keys in s.get("Condition", {}).values() for key in keys}
        assert used <= KEYS_LAMBDA_SENDS, used - KEYS_LAMBDA_SENDS


def test_environment_decryption_is_bound_to_this_functions_arn() -> None:
    function_arns = evaluate_contract()["arns"]["functions"]
    for function, statements in runtime_statements().items():
        [statement] = [s for s in statements if s["Sid"] == "DecryptOwnEnvironment"]
        condition = statement["Condition"]["StringEquals"]
        assert list(condition) == ["kms:EncryptionContext:aws:lambda:FunctionArn"]
        value = condition["kms:EncryptionContext:aws:lambda:FunctionArn"]
        assert value == function_arns[function]
        assert f":lambda:{DEPLOYMENT['region']}:{DEPLOYMENT['account_id']}:function:" in value
