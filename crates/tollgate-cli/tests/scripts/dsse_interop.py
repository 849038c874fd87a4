"""DSSE interoperability with securesystemslib, an independent implementation.

    dsse_interop.py verify ENVELOPE PUBLIC_PEM
        Verify a tollgate envelope with the key loaded from tollgate's PEM,
        matched by securesystemslib's own default key id (none typed in).
        Prints the key id and the statement's subject count; exit 1 when the
        signature does not verify.

    dsse_interop.py sign FOLDER PUBLIC_PEM_OUT ENVELOPE_OUT PREDICATE_TYPE
        Generate an ed25519 key with securesystemslib, write its public key as
        PEM, and sign an in-toto Statement v1 over every regular file of
        FOLDER (envelopes excepted) into ENVELOPE_OUT.
"""

import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey


def verify(envelope_path, pem_path):
    with open(pem_path, "rb") as f:
        key = SSlibKey.from_crypto(load_pem_public_key(f.read()))
    with open(envelope_path, encoding="utf-8") as f:
        envelope = Envelope.from_dict(json.loads(f.read()))
    try:
        envelope.verify([key], 1)
    except VerificationError as e:
        print(f"not verified: {e}")
        return 1
    statement = json.loads(envelope.payload)
    print(f"verified keyid={key.keyid} subjects={len(statement['subject'])}")
    return 0


def sign(folder, pem_out, envelope_out, predicate_type):
    signer = CryptoSigner.generate_ed25519()
    pem = signer._private_key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    with open(pem_out, "wb") as f:
        f.write(pem)
    subjects = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".intoto.jsonl") or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        subjects.append({"name": name, "digest": {"sha256": digest}})
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": predicate_type,
        "predicate": {"signedBy": "securesystemslib"},
    }
    envelope = Envelope(
        payload=json.dumps(statement).encode(),
        payload_type="application/vnd.in-toto+json",
        signatures={},
    )
    envelope.sign(signer)
    with open(envelope_out, "w", encoding="utf-8") as f:
        f.write(json.dumps(envelope.to_dict()) + "\n")
    print(f"signed keyid={signer.public_key.keyid} subjects={len(subjects)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        sys.exit(verify(*sys.argv[2:4]))
    sys.exit(sign(*sys.argv[2:6]))
