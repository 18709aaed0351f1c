//! secp256k1 keys and EIP-191 signatures over record hashes.
//!
//! Contract: a record is signed as Ethereum's `personal_sign` of its 32-byte id:
//! `keccak256("\x19Ethereum Signed Message:\n32" ‖ id)`, 65-byte `r ‖ s ‖ v` with `v ∈ {27, 28}`
//! and low `s` (RFC 6979 deterministic nonces), so `eth_account`, ethers, viem or cast verify it.
//! The signer address is always *recovered* from a signature, never taken from a payload.
//! Keys load from a file or an environment variable (0x-hex secret); demo/test keys are derived
//! from a seed label and are marked `demo` wherever they are shown.
//!
//! Library choice: the `secp256k1` crate (libsecp256k1) rather than `k256`: on this machine it
//! recovers a public key in ~83 µs against ~450 µs, which the verify target (≥ 10,000 records/s)
//! needs.

use alloy_primitives::{eip191_hash_message, keccak256, Address, B256};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, PublicKey, Secp256k1, SecretKey};
use std::fmt;
use std::sync::LazyLock;
use thiserror::Error;

static CTX: LazyLock<Secp256k1<secp256k1::All>> = LazyLock::new(Secp256k1::new);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("{source_name}: not a 32-byte hex secret key")]
    BadSecret { source_name: String },
    #[error("{source_name}: {message}")]
    Unreadable {
        source_name: String,
        message: String,
    },
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
}

/// A 65-byte recoverable signature `r ‖ s ‖ v` (v = 27/28).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sig(pub [u8; 65]);

impl Sig {
    pub fn to_hex(&self) -> String {
        format!("0x{}", alloy_primitives::hex::encode(self.0))
    }
    pub fn from_hex(s: &str) -> Option<Sig> {
        let b = alloy_primitives::hex::decode(s.strip_prefix("0x")?).ok()?;
        Some(Sig(b.try_into().ok()?))
    }
}

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The EIP-191 (`personal_sign`) digest of a record id.
pub fn signing_digest(id: B256) -> B256 {
    eip191_hash_message(id.as_slice())
}

/// The address that signed `id`, or `None` if the signature is malformed or does not recover.
pub fn recover(id: B256, sig: &Sig) -> Option<Address> {
    let v = sig.0[64];
    let rec = RecoveryId::try_from(i32::from(v.checked_sub(27)?)).ok()?;
    let rs = RecoverableSignature::from_compact(&sig.0[..64], rec).ok()?;
    // Refuse high-s (malleable) signatures, as Ethereum's ecrecover users do.
    let std_sig = rs.to_standard();
    let mut normalized = std_sig;
    normalized.normalize_s();
    if normalized != std_sig {
        return None;
    }
    let msg = Message::from_digest(signing_digest(id).0);
    let pk = CTX.recover_ecdsa(&msg, &rs).ok()?;
    Some(address_of(&pk))
}

pub fn address_of(pk: &PublicKey) -> Address {
    Address::from_slice(&keccak256(&pk.serialize_uncompressed()[1..])[12..])
}

/// The demo labels this project ships (CLI `demo`, docs, tests). A real Synome refuses these
/// addresses as its Core Council or as a role holder: their secrets are public.
pub const KNOWN_DEMO_LABELS: &[&str] = &[
    "core-council",
    "settlement-operator",
    "lpla-checker",
    "lpha-report",
    "lpha-lcts",
    "govops",
    "operator",
    "checker",
    "reporter",
];

/// The shipped demo label whose key has this address, if any.
pub fn known_demo_label(a: Address) -> Option<&'static str> {
    static ADDRS: LazyLock<Vec<(Address, &'static str)>> = LazyLock::new(|| {
        KNOWN_DEMO_LABELS
            .iter()
            .map(|l| (Signer::demo(l).address(), *l))
            .collect()
    });
    ADDRS.iter().find(|(x, _)| *x == a).map(|(_, l)| *l)
}

/// A signing key with a label saying where it came from.
#[derive(Clone)]
pub struct Signer {
    secret: SecretKey,
    address: Address,
    label: String,
    demo: bool,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({self})")
    }
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.demo {
            write!(
                f,
                "{} [DEMO KEY '{}', derived from a public seed: not a secret]",
                self.address, self.label
            )
        } else {
            write!(f, "{} [{}]", self.address, self.label)
        }
    }
}

impl Signer {
    fn from_secret(secret: SecretKey, label: String, demo: bool) -> Signer {
        let address = address_of(&secret.public_key(&CTX));
        Signer {
            secret,
            address,
            label,
            demo,
        }
    }

    /// A deterministic **demo/test** key: `keccak256("laniakea demo key:" ‖ label)`.
    pub fn demo(label: &str) -> Signer {
        let mut seed = keccak256(format!("laniakea demo key:{label}").as_bytes());
        loop {
            if let Ok(sk) = SecretKey::from_slice(seed.as_slice()) {
                return Signer::from_secret(sk, label.to_string(), true);
            }
            seed = keccak256(seed.as_slice());
        }
    }

    /// From 0x-hex text (a key file's content or an environment variable's value).
    pub fn from_hex(text: &str, source_name: &str) -> Result<Signer, KeyError> {
        let t = text.trim();
        let bad = || KeyError::BadSecret {
            source_name: source_name.to_string(),
        };
        let bytes =
            alloy_primitives::hex::decode(t.strip_prefix("0x").unwrap_or(t)).map_err(|_| bad())?;
        let sk = SecretKey::from_slice(&bytes).map_err(|_| bad())?;
        Ok(Signer::from_secret(sk, source_name.to_string(), false))
    }

    pub fn from_file(path: &std::path::Path) -> Result<Signer, KeyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Unreadable {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        Signer::from_hex(&text, &name)
    }

    pub fn from_env(var: &str) -> Result<Signer, KeyError> {
        let v = std::env::var(var).map_err(|_| KeyError::MissingEnv(var.to_string()))?;
        Signer::from_hex(&v, &format!("${var}"))
    }

    pub fn address(&self) -> Address {
        self.address
    }

    pub fn is_demo(&self) -> bool {
        self.demo
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// EIP-191 signature of a record id.
    pub fn sign(&self, id: B256) -> Sig {
        let msg = Message::from_digest(signing_digest(id).0);
        let (rec, compact) = CTX
            .sign_ecdsa_recoverable(&msg, &self.secret)
            .serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&compact);
        out[64] = 27 + i32::from(rec) as u8;
        Sig(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_recover() {
        let s = Signer::demo("alice");
        let id = keccak256(b"record");
        let sig = s.sign(id);
        assert_eq!(recover(id, &sig), Some(s.address()));
        assert_ne!(recover(keccak256(b"other"), &sig), Some(s.address()));
        let mut bad = sig;
        bad.0[64] = 30;
        assert_eq!(recover(id, &bad), None);
        assert!(s.to_string().contains("DEMO KEY"));
        assert_eq!(
            Signer::demo("alice").address(),
            s.address(),
            "demo keys are deterministic"
        );
    }

    #[test]
    fn keys_from_hex_and_errors() {
        let s = Signer::from_hex(
            "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            "test",
        )
        .unwrap();
        assert!(!s.is_demo());
        assert!(matches!(
            Signer::from_hex("0x1234", "k"),
            Err(KeyError::BadSecret { .. })
        ));
        assert!(matches!(
            Signer::from_env("LANIAKEA_SURELY_UNSET_VAR"),
            Err(KeyError::MissingEnv(_))
        ));
    }
}
