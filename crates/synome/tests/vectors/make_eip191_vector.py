"""Produces eip191.json: an interoperability vector for Synome record signatures, made with
eth_account (a widely used, independent Ethereum implementation of EIP-191 personal_sign).

Run once: `pip install eth-account==0.14.0 && python3 make_eip191_vector.py > eip191.json`.
The key is the DEMO key labelled "interop-vector" (keccak256("laniakea demo key:interop-vector")):
public test material, not a secret. Python's json.dumps(sort_keys, compact, no ASCII escaping)
is an independent canonicalisation that equals RFC 8785 for this record (ASCII keys, integers).
"""
import json

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

secret = keccak(b"laniakea demo key:interop-vector")
acct = Account.from_key(secret)
content = {
    "author": acct.address.lower(),
    "created_at": 1767628800,
    "epoch": "2026-01-05",
    "kind": "payment-receipt",
    "payload": {
        "amount_wad": "505.609589041095890411",
        "obligation": "2026-01-05/spark/1",
        "paid_at": 1767628000,
        "payer": "prime",
        "prime": "spark",
        "tx": "0x5e1f",
    },
    "prev": "0x" + "00" * 32,
    "store_prev": "0x" + "11" * 32,
    "provenance": "system-derived",
    "role": "operator",
    "schema_version": 1,
    "subject": "prime:spark",
    "supersedes": None,
    "synome": "0x" + "22" * 32,
}
canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
record_id = keccak(text=canonical)
signed = Account.sign_message(encode_defunct(primitive=record_id), private_key=secret)
sig = signed.signature.hex()
print(json.dumps({
    "tool": "eth_account 0.14.0 (Account.sign_message(encode_defunct(primitive=id)))",
    "address": acct.address,
    "canonical": canonical,
    "id": "0x" + record_id.hex(),
    "signature": sig if sig.startswith("0x") else "0x" + sig,
}, indent=1))
