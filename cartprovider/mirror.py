"""Install the stand-in into a filesystem mirror that `terraform init -plugin-dir` resolves.

Why this exists: Terraform finds providers by address (registry.terraform.io/hashicorp/aws) and
version; offline, `-plugin-dir=<mirror>` makes init look only in that folder's unpacked layout
`<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>`. The
executable is a two-line Python script whose interpreter is this venv's, so the stand-in runs
with exactly the locked dependencies, and whose import path is this checkout.
"""

from __future__ import annotations

import base64
import datetime
import json
import platform
import sys
from pathlib import Path

from tools.provider_schema import PROVIDER_VERSION

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = ("registry.terraform.io", "hashicorp", "aws")


def platform_dir() -> str:
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    return f"{sys.platform.removesuffix('2')}_{machine}"


def install(mirror: Path, *, python: str = sys.executable, root: Path = ROOT) -> Path:
    """Write the provider executable into the mirror; returns its path."""
    folder = mirror.joinpath(*ADDRESS, PROVIDER_VERSION, platform_dir())
    folder.mkdir(parents=True, exist_ok=True)
    executable = folder / f"terraform-provider-aws_v{PROVIDER_VERSION}"
    # Outside the provider's folder: init hashes that folder into .terraform.lock.hcl.
    credentials = mirror / "standin-tls.json"
    credentials.write_text(json.dumps(certificate()), encoding="utf-8")
    credentials.chmod(0o600)
    executable.write_text(
        f"#!{python}\n"
        "# The cartflow stand-in for hashicorp/aws (cartprovider/); installed by cartprovider/mirror.py.\n"
        f"import sys; sys.path.insert(0, {str(root)!r})\n"
        "from cartprovider.plugin import main\n"
        f"main({str(credentials)!r})\n",
        encoding="utf-8",
    )
    executable.chmod(0o755)
    return executable


def certificate(days: int = 30) -> dict[str, str]:
    """A self-signed certificate for the plugin's TLS on its unix socket (go-plugin's AutoMTLS
    trusts the one the handshake line carries): key and certificate PEM, certificate DER base64."""
    from cryptography import x509  # noqa: PLC0415 - only the installer needs it
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return {
        "key_pem": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "cert_chain": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
    }


if __name__ == "__main__":
    print(install(Path(sys.argv[1])))
