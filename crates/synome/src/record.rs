//! Records: kinds, typed payloads, canonical content, ids and signatures (SPEC §6).
//!
//! Contract: a record's *content* is every field but `id` and `signature`; its canonical form is
//! RFC 8785 JSON of that content (addresses and hashes lowercase 0x-hex, `null` for absent
//! optional fields); `id = keccak256(canonical content)`; the signature is EIP-191 over `id`.
//! The content names the Synome it belongs to (`synome` = its genesis id), links to the
//! author's previous record (`prev`) and to the store's previous head (`store_prev`), so the
//! signature covers the record's place in the whole store. The *fact* of a record is its
//! content without the two chain links: `fact = keccak256(canonical content minus prev and
//! store_prev)` is the idempotency key (the same fact is never stored twice).
//! Each kind has a typed payload (unknown fields refused) and a schema version; records are
//! immutable: corrections are new records that `supersede` old ones.

use crate::canonical::{to_canonical, CanonicalError};
use crate::keys::{recover, Sig, Signer};
use alloy_primitives::{keccak256, Address, B256};
use laniakea_units::EpochId;
use laniakea_units::{Apr, Timestamp, Wad};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use thiserror::Error;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown {} '{}'", stringify!($name), s)))
            }
        }
    };
}

string_enum!(
    /// What a record is.
    Kind {
        Genesis => "genesis",
        RoleGrant => "role-grant",
        RoleRevoke => "role-revoke",
        ParameterSet => "parameter-set",
        Skip => "skip",
        MigrationPlan => "migration-plan",
        MigrationStep => "migration-step",
        Incident => "incident",
        SettlementStatement => "settlement-statement",
        PaymentReceipt => "payment-receipt",
        Distribution => "distribution",
        PenaltyEvent => "penalty-event",
        Forgiveness => "forgiveness",
        VerificationReport => "verification-report",
        PrimeReport => "prime-report",
        LctsSettlement => "lcts-settlement",
        Escalation => "escalation",
        Checkpoint => "checkpoint",
    }
);

string_enum!(
    /// The capacity in which an author writes.
    Role {
        CoreCouncil => "core-council",
        Operator => "operator",
        Checker => "checker",
        Reporter => "reporter",
        LphaLcts => "lpha-lcts",
        GovOps => "govops",
    }
);

string_enum!(
    Provenance {
        SystemDerived => "system-derived",
        GovernanceDirected => "governance-directed",
    }
);

impl Role {
    /// The kinds each role may write (SPEC §6; `docs/synome.md`).
    pub fn allowed_kinds(&self) -> &'static [Kind] {
        use Kind::*;
        match self {
            Role::CoreCouncil => &[
                Genesis,
                RoleGrant,
                RoleRevoke,
                ParameterSet,
                Skip,
                MigrationPlan,
                Forgiveness,
                Incident,
                Checkpoint,
            ],
            Role::Operator => &[
                SettlementStatement,
                PaymentReceipt,
                Distribution,
                PenaltyEvent,
                Escalation,
                Checkpoint,
            ],
            Role::Checker => &[VerificationReport],
            Role::Reporter => &[PrimeReport],
            Role::LphaLcts => &[LctsSettlement],
            Role::GovOps => &[MigrationStep, Incident, Escalation],
        }
    }
}

impl Kind {
    /// Current schema version of each kind's payload.
    pub fn schema_version(&self) -> u32 {
        1
    }
}

// ---- typed payloads ---------------------------------------------------------------------------

pub mod payload {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Genesis {
        pub core_council: Address,
        pub deployment: String,
        /// Present only in a DEMO Synome: the public label the council key derives from
        /// (`Signer::demo(label)`). Its presence marks the whole Synome as a demo.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub demo_key: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RoleChange {
        pub role: Role,
        pub address: Address,
        /// Required in a DEMO Synome (the label `address` derives from), refused in a real one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub demo_key: Option<String>,
    }

    /// Pins the store's head: `position` records precede this one (its `store_prev` is the
    /// head), written per epoch by the operator or the Core Council.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Checkpoint {
        pub epoch: EpochId,
        pub position: u64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct OsrcAllocation {
        pub prime: String,
        pub allocation_wad: Wad,
        pub rate_apr: Apr,
    }

    /// Governance parameters taking effect at `effective_epoch`'s Moment of Settlement.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ParameterSet {
        pub effective_epoch: EpochId,
        #[serde(default)]
        pub base_rate_apr: Option<Apr>,
        #[serde(default)]
        pub ssr_apr: Option<Apr>,
        #[serde(default)]
        pub penalty_rate_per_hour_wad: Option<Wad>,
        #[serde(default)]
        pub restrict_after_s: Option<u64>,
        #[serde(default)]
        pub review_after_s: Option<u64>,
        #[serde(default)]
        pub tiers_bps: Option<[u32; 5]>,
        #[serde(default)]
        pub osrc: Vec<OsrcAllocation>,
        #[serde(default)]
        pub srusds_premium_apr: Option<Apr>,
        #[serde(default)]
        pub srusds_target_spread_apr: Option<Apr>,
        #[serde(default)]
        pub redemption_limit_wad: Option<Wad>,
        /// The epoch's OSRC capacity for srUSDS subscriptions, in sUSDS (lpha-lcts).
        #[serde(default)]
        pub srusds_osrc_capacity_susds_wad: Option<Wad>,
        #[serde(default)]
        pub generator_buffer_min_wad: Option<Wad>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Skip {
        pub epoch: EpochId,
        pub reason: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Tranche {
        pub epoch: EpochId,
        pub amount_wad: Wad,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct MigrationPlan {
        pub prime: String,
        pub legacy_ilk: String,
        pub cutover_epoch: EpochId,
        pub tranches: Vec<Tranche>,
        pub initial_min_idle_bps: u32,
        #[serde(default)]
        pub buffer_schedule: Vec<Tranche>,
        #[serde(default)]
        pub temporary_rate_limits: BTreeMap<String, Wad>,
        pub rollback_steps: Vec<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct MigrationStep {
        pub prime: String,
        pub step: String,
        pub amount_wad: Wad,
        #[serde(default)]
        pub tx: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Incident {
        pub kind: String,
        pub description: String,
        #[serde(default)]
        pub vault: Option<Address>,
        #[serde(default)]
        pub until: Option<Timestamp>,
    }

    /// A signed settlement statement: the full statement JSON plus the fields every reader needs.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SettlementStatement {
        pub prime: String,
        pub total_wad: String,
        pub direction: String,
        pub input_digest: B256,
        pub statement: Value,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PaymentReceipt {
        pub prime: String,
        pub payer: String,
        pub tx: String,
        pub amount_wad: Wad,
        pub paid_at: Timestamp,
        pub obligation: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Distribution {
        pub prime: String,
        pub address: Address,
        pub tier: u8,
        pub reward_wad: Wad,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PenaltyEvent {
        pub prime: String,
        pub obligation: String,
        pub amount_wad: Wad,
        pub from: Timestamp,
        pub to: Timestamp,
    }

    /// Names the penalty event (by record id) and gives a rationale; never alters it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Forgiveness {
        pub penalty: B256,
        pub amount_wad: Wad,
        pub rationale: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Finding {
        pub check: String,
        pub status: String,
        #[serde(default)]
        pub subject: Option<String>,
        #[serde(default)]
        pub detail: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct VerificationReport {
        pub findings: Vec<Finding>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PrimeReport {
        pub prime: String,
        pub summary: BTreeMap<String, Value>,
    }

    /// One epoch's srUSDS settlement by lpha-lcts (both queues of one Holding System): the
    /// inputs, the fallback used, the rate before/after and the amounts converted. `exchange_rate`
    /// and `capacity` are the full records of `laniakea_settlement::srusds` / `::capacity`
    /// (inputs echoed), so anyone can recompute them; the flat fields are what every reader needs.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct LctsSettlement {
        pub holding: Address,
        pub subscribe_queue: Option<Address>,
        pub redeem_queue: Option<Address>,
        /// The generation each queue locked for this epoch (`None`: nothing was locked).
        pub subscribe_generation: Option<u64>,
        pub redeem_generation: Option<u64>,
        /// `none` | `previous-epoch-inputs` | `netting-only`.
        pub fallback_used: String,
        /// The epoch whose governance inputs were used (`None`: netting only).
        pub governance_epoch: Option<EpochId>,
        /// Block time of the settle step (the exchange-rate update and both settles).
        pub settled_at: Timestamp,
        pub rate_before_wad: Wad,
        pub rate_after_wad: Wad,
        pub subscribe_converted_susds_wad: Wad,
        pub subscribe_output_srusds_wad: Wad,
        pub redeem_converted_srusds_wad: Wad,
        pub redeem_output_susds_wad: Wad,
        pub exchange_rate: Value,
        pub capacity: Value,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Escalation {
        pub prime: String,
        pub state: String,
        pub obligation: String,
        pub late_s: u64,
    }
}

/// How deeply a payload's arrays and objects may nest. Every stored payload must read back:
/// `serde_json` refuses text nested 128 levels deep, and a record embedded in an export line
/// or an API body nests its payload further, so the limit leaves room.
pub const MAX_PAYLOAD_DEPTH: usize = 64;

/// The nesting depth of arrays and objects in `v` (0 for a scalar); iterative, so a hostile
/// value cannot exhaust the stack here.
fn nesting_depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((x, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match x {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(m) => Box::new(m.values()),
            _ => continue,
        };
        deepest = deepest.max(d + 1);
        if deepest > MAX_PAYLOAD_DEPTH {
            return deepest;
        }
        stack.extend(children.map(|c| (c, d + 1)));
    }
    deepest
}

/// Checks a payload against its kind's schema; returns the reason if it does not fit.
pub fn validate_payload(kind: Kind, v: &Value) -> Result<(), String> {
    use payload::*;
    if nesting_depth(v) > MAX_PAYLOAD_DEPTH {
        return Err(format!(
            "payload nests arrays/objects more than {MAX_PAYLOAD_DEPTH} levels deep"
        ));
    }
    fn check<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
        serde_path_to_error::deserialize::<_, T>(v)
            .map(|_| ())
            .map_err(|e| {
                let p = e.path().to_string();
                if p == "." || p.is_empty() {
                    e.into_inner().to_string()
                } else {
                    format!("payload.{p}: {}", e.into_inner())
                }
            })
    }
    match kind {
        Kind::Genesis => check::<Genesis>(v),
        Kind::RoleGrant | Kind::RoleRevoke => check::<RoleChange>(v),
        Kind::ParameterSet => check::<ParameterSet>(v),
        Kind::Skip => check::<Skip>(v),
        Kind::MigrationPlan => check::<MigrationPlan>(v),
        Kind::MigrationStep => check::<MigrationStep>(v),
        Kind::Incident => check::<Incident>(v),
        Kind::SettlementStatement => check::<SettlementStatement>(v),
        Kind::PaymentReceipt => check::<PaymentReceipt>(v),
        Kind::Distribution => check::<Distribution>(v),
        Kind::PenaltyEvent => check::<PenaltyEvent>(v),
        Kind::Forgiveness => check::<Forgiveness>(v),
        Kind::VerificationReport => check::<VerificationReport>(v),
        Kind::PrimeReport => check::<PrimeReport>(v),
        Kind::LctsSettlement => check::<LctsSettlement>(v),
        Kind::Escalation => check::<Escalation>(v),
        Kind::Checkpoint => check::<Checkpoint>(v),
    }
}

/// The payload's Prime, for the kinds whose payload names one (the subject must agree).
fn payload_prime(kind: Kind, v: &Value) -> Option<&str> {
    match kind {
        Kind::SettlementStatement
        | Kind::PaymentReceipt
        | Kind::Distribution
        | Kind::PenaltyEvent
        | Kind::PrimeReport
        | Kind::Escalation
        | Kind::MigrationPlan
        | Kind::MigrationStep => v.get("prime").and_then(Value::as_str),
        _ => None,
    }
}

/// The payload's epoch, for the kinds whose payload names the record's own epoch.
fn payload_epoch(kind: Kind, v: &Value) -> Option<&str> {
    match kind {
        Kind::Skip | Kind::Checkpoint => v.get("epoch").and_then(Value::as_str),
        _ => None,
    }
}

/// Columns duplicated from the payload must equal it: `subject` = `prime:<payload.prime>`,
/// `epoch` = `payload.epoch` (skip, checkpoint). Returns `(column, column value, payload value)`
/// of the first disagreement.
pub fn column_payload_mismatch(c: &Content) -> Option<(&'static str, String, String)> {
    if let Some(p) = payload_prime(c.kind, &c.payload) {
        let want = format!("prime:{p}");
        if c.subject != want {
            return Some(("subject", c.subject.clone(), want));
        }
    }
    if let Some(e) = payload_epoch(c.kind, &c.payload) {
        let col = c
            .epoch
            .map(|x| x.to_string())
            .unwrap_or_else(|| "null".into());
        if col != e {
            return Some(("epoch", col, e.to_string()));
        }
    }
    None
}

/// `generator`, `global`, or `prime:<id>` (id: lowercase letters, digits, `-`, `_`).
pub fn valid_subject(s: &str) -> bool {
    match s {
        "generator" | "global" => true,
        _ => s.strip_prefix("prime:").is_some_and(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        }),
    }
}

/// A record's content: everything that is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The Synome this record belongs to: its genesis id (zero in the genesis itself).
    pub synome: B256,
    pub kind: Kind,
    pub schema_version: u32,
    pub epoch: Option<EpochId>,
    pub subject: String,
    pub author: Address,
    pub role: Role,
    pub created_at: Timestamp,
    pub provenance: Provenance,
    pub payload: Value,
    /// The author's previous record id (zero for their first).
    pub prev: B256,
    /// The store's previous head: the id of the record just before this one (zero for genesis).
    pub store_prev: B256,
    pub supersedes: Option<B256>,
}

fn lower(a: Address) -> String {
    format!("{a:#x}")
}

impl Content {
    /// The JSON object that is canonicalised and hashed.
    pub fn to_json(&self) -> Value {
        json!({
            "synome": self.synome.to_string(),
            "kind": self.kind.as_str(),
            "schema_version": self.schema_version,
            "epoch": self.epoch.map(|e| e.to_string()),
            "subject": self.subject,
            "author": lower(self.author),
            "role": self.role.as_str(),
            "created_at": self.created_at.0,
            "provenance": self.provenance.as_str(),
            "payload": self.payload,
            "prev": self.prev.to_string(),
            "store_prev": self.store_prev.to_string(),
            "supersedes": self.supersedes.map(|s| s.to_string()),
        })
    }

    /// The idempotency key: keccak-256 of the canonical content without `prev` and
    /// `store_prev`, so a retry re-signed at a later head states the same fact.
    pub fn fact(&self) -> Result<B256, CanonicalError> {
        Ok(self.hashes()?.fact)
    }

    /// The canonical content: RFC 8785 of [`Content::to_json`].
    pub fn canonical(&self) -> Result<String, CanonicalError> {
        Ok(self.write_canonical(&to_canonical(&self.payload)?, true))
    }

    /// `keccak256(canonical content)`.
    pub fn id(&self) -> Result<B256, CanonicalError> {
        Ok(keccak256(self.canonical()?.as_bytes()))
    }

    /// Id, fact and canonical payload text, canonicalising the payload once.
    pub fn hashes(&self) -> Result<Hashes, CanonicalError> {
        let payload = to_canonical(&self.payload)?;
        Ok(Hashes {
            id: keccak256(self.write_canonical(&payload, true).as_bytes()),
            fact: keccak256(self.write_canonical(&payload, false).as_bytes()),
            payload,
        })
    }

    /// Writes the canonical object directly (members in RFC 8785 order), embedding the
    /// already-canonical payload; `links: false` leaves out `prev` and `store_prev` (the fact).
    /// Equal to `to_canonical(&self.to_json())` byte for byte (property-tested).
    fn write_canonical(&self, payload: &str, links: bool) -> String {
        use crate::canonical::write_string;
        use std::fmt::Write as _;
        let mut o = String::with_capacity(payload.len() + 512);
        o.push_str("{\"author\":\"");
        let _ = write!(o, "{:#x}", self.author);
        o.push_str("\",\"created_at\":");
        let _ = write!(o, "{}", self.created_at.0);
        o.push_str(",\"epoch\":");
        match self.epoch {
            Some(e) => write_string(&mut o, &e.to_string()),
            None => o.push_str("null"),
        }
        o.push_str(",\"kind\":");
        write_string(&mut o, self.kind.as_str());
        o.push_str(",\"payload\":");
        o.push_str(payload);
        if links {
            let _ = write!(o, ",\"prev\":\"{}\"", self.prev);
        }
        o.push_str(",\"provenance\":");
        write_string(&mut o, self.provenance.as_str());
        o.push_str(",\"role\":");
        write_string(&mut o, self.role.as_str());
        let _ = write!(o, ",\"schema_version\":{}", self.schema_version);
        if links {
            let _ = write!(o, ",\"store_prev\":\"{}\"", self.store_prev);
        }
        o.push_str(",\"subject\":");
        write_string(&mut o, &self.subject);
        o.push_str(",\"supersedes\":");
        match self.supersedes {
            Some(x) => {
                let _ = write!(o, "\"{x}\"");
            }
            None => o.push_str("null"),
        }
        let _ = write!(o, ",\"synome\":\"{}\"}}", self.synome);
        o
    }

    /// Hashes and signs. The signer must be the author.
    pub fn sign(self, signer: &Signer) -> Result<SignedRecord, RecordError> {
        if signer.address() != self.author {
            return Err(RecordError::AuthorNotSigner {
                author: self.author,
                signer: signer.address(),
            });
        }
        let id = self.id()?;
        let signature = signer.sign(id);
        Ok(SignedRecord {
            id,
            content: self,
            signature,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    #[error("the author {author} is not the signer {signer}")]
    AuthorNotSigner { author: Address, signer: Address },
}

/// What hashing a record's content yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes {
    pub id: B256,
    pub fact: B256,
    /// The canonical payload text (the stored `payload` column).
    pub payload: String,
}

/// A sealed record: content, id and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRecord {
    pub id: B256,
    pub content: Content,
    pub signature: Sig,
}

impl SignedRecord {
    /// The address recovered from the signature over the *stored* id.
    pub fn recovered_signer(&self) -> Option<Address> {
        recover(self.id, &self.signature)
    }

    /// The full record as JSON (export format): content plus `id` and `signature`.
    pub fn to_json(&self) -> Value {
        let mut v = self.content.to_json();
        if let Some(m) = v.as_object_mut() {
            m.insert("id".into(), json!(self.id.to_string()));
            m.insert("signature".into(), json!(self.signature.to_hex()));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_payload() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(".{0,5}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The direct writer used for hashing equals RFC 8785 of the content's JSON object.
        #[test]
        fn direct_canonical_form_equals_rfc8785_of_the_json(
            payload in arb_payload(),
            subject in ".{0,12}",
            epoch in proptest::option::of((1u32..=12, 1u32..=28)),
            created_at in any::<u64>(),
            bytes in any::<[u8; 32]>(),
            kind in 0usize..Kind::ALL.len(),
            role in 0usize..Role::ALL.len(),
            supersedes in any::<bool>(),
        ) {
            let h = B256::from(bytes);
            let c = Content {
                synome: keccak256(h),
                kind: Kind::ALL[kind],
                schema_version: 1,
                epoch: epoch.map(|(m, d)| EpochId::parse(&format!("2026-{m:02}-{d:02}")).unwrap()),
                subject,
                author: Address::from_slice(&bytes[..20]),
                role: Role::ALL[role],
                created_at: Timestamp(created_at),
                provenance: Provenance::SystemDerived,
                payload,
                prev: h,
                store_prev: keccak256(keccak256(h)),
                supersedes: supersedes.then_some(h),
            };
            let expected = to_canonical(&c.to_json()).unwrap();
            prop_assert_eq!(c.canonical().unwrap(), expected.clone());
            prop_assert_eq!(c.id().unwrap(), keccak256(expected.as_bytes()));
            let mut v = c.to_json();
            let m = v.as_object_mut().unwrap();
            m.remove("prev");
            m.remove("store_prev");
            prop_assert_eq!(c.fact().unwrap(), keccak256(to_canonical(&v).unwrap().as_bytes()));
        }
    }
}
