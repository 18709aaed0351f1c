//! The Synome: validated, authorised, chained appends over any [`Store`], queries, verification
//! and export (SPEC §6).
//!
//! Contract:
//! - `append_batch` checks every record *before* and *inside* one store transaction that holds
//!   the store's write lock — id = hash of canonical content, signature recovers to the author,
//!   payload fits its kind's schema and agrees with the columns it duplicates, the record names
//!   this Synome (its genesis), links to the store's head (`store_prev`) and to its author's
//!   head (`prev`), the author holds the role and the role may write the kind, `created_at`
//!   does not go backwards per author nor precede the grant authorising the author's role,
//!   references exist, a correction keeps the kind and subject of what it supersedes (so
//!   `latest` never returns a superseded record), forgiveness stays within the penalty,
//!   checkpoints pin the true position, demo and real keys stay apart — and stores all of the
//!   batch or none of it.
//! - Appends are idempotent by *fact* (content without chain links): a record whose fact is
//!   already stored — the same record, or a retry re-signed at a later head — is reported as
//!   [`Appended::AlreadyStored`] with the stored record's id, and nothing is stored.
//! - A lost race with another writer is a retryable rejection (re-read the heads, re-sign).
//! - `verify` replays the same rules over every stored row, in position order, plus the checks
//!   only a reader can make (every column in its one canonical form, contiguous positions, no
//!   duplicate id or fact), and names the first bad record.

use crate::error::{Rejection, StoreError, SynomeError};
use crate::keys::{known_demo_label, Signer};
use crate::record::{
    column_payload_mismatch, payload, valid_subject, validate_payload, Content, Kind, Provenance,
    Role, SignedRecord,
};
use crate::store::{Query, RawRow, Store, StoreTx};
use alloy_primitives::{Address, B256};
use laniakea_units::EpochId;
use laniakea_units::{Timestamp, Wad};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Appended {
    /// Stored at this position of the store chain.
    Stored { seq: i64 },
    /// The same fact was already stored, as record `id` (nothing stored now).
    AlreadyStored { id: B256 },
}

/// Who may write what, and which Synome this is, replayed from genesis and role records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthState {
    /// The genesis id: the Synome's identity.
    pub synome: Option<B256>,
    pub council: Option<Address>,
    /// The council key's demo label if this is a DEMO Synome.
    pub demo_key: Option<String>,
    /// The roles held, each with the `created_at` of the grant that authorises it (the first
    /// grant since the role was last not held). The Council's authorisation is the genesis:
    /// its own author chain keeps its records from being dated before it.
    pub roles: BTreeMap<(Address, Role), Timestamp>,
}

impl AuthState {
    pub fn holds(&self, who: Address, role: Role) -> bool {
        match role {
            Role::CoreCouncil => self.council == Some(who),
            r => self.roles.contains_key(&(who, r)),
        }
    }

    fn holds_any(&self, who: Address) -> bool {
        self.council == Some(who) || self.roles.keys().any(|(a, _)| *a == who)
    }

    pub fn is_demo(&self) -> bool {
        self.demo_key.is_some()
    }

    /// A demo label must derive `address`; a real Synome refuses demo labels and the shipped
    /// demo keys.
    fn check_key(
        &self,
        id: B256,
        address: Address,
        label: Option<&str>,
        demo: bool,
    ) -> Result<(), Rejection> {
        match (demo, label) {
            (true, Some(l)) => {
                let derived = Signer::demo(l).address();
                if derived != address {
                    return Err(Rejection::DemoLabelMismatch {
                        id,
                        label: l.to_string(),
                        derived,
                        address,
                    });
                }
            }
            (true, None) => return Err(Rejection::RealKeyInDemoSynome { id, address }),
            (false, Some(l)) => {
                return Err(Rejection::DemoKeyInRealSynome {
                    id,
                    address,
                    label: l.to_string(),
                })
            }
            (false, None) => {
                if let Some(l) = known_demo_label(address) {
                    return Err(Rejection::DemoKeyInRealSynome {
                        id,
                        address,
                        label: l.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether record `id` with content `c` may be written in the current state.
    pub fn check(&self, id: B256, c: &Content) -> Result<(), Rejection> {
        let payload_err = |e: serde_json::Error| Rejection::Payload {
            id,
            kind: c.kind,
            reason: e.to_string(),
        };
        match (self.council, c.kind) {
            (None, Kind::Genesis) => {
                let g: payload::Genesis =
                    serde_json::from_value(c.payload.clone()).map_err(payload_err)?;
                if g.core_council != c.author
                    || c.role != Role::CoreCouncil
                    || c.synome != B256::ZERO
                    || c.prev != B256::ZERO
                    || c.store_prev != B256::ZERO
                {
                    return Err(Rejection::BadGenesis { id });
                }
                return self.check_key(
                    id,
                    g.core_council,
                    g.demo_key.as_deref(),
                    g.demo_key.is_some(),
                );
            }
            (None, _) => return Err(Rejection::NoGenesis { id }),
            (Some(_), Kind::Genesis) => return Err(Rejection::GenesisExists { id }),
            _ => {}
        }
        let expected = self.synome.unwrap_or_default();
        if c.synome != expected {
            return Err(Rejection::ForeignSynome {
                id,
                synome: c.synome,
                expected,
            });
        }
        if !self.holds(c.author, c.role) {
            return Err(if self.holds_any(c.author) {
                Rejection::RoleNotHeld {
                    id,
                    author: c.author,
                    role: c.role,
                }
            } else {
                Rejection::UnknownSigner {
                    id,
                    author: c.author,
                }
            });
        }
        if !c.role.allowed_kinds().contains(&c.kind) {
            return Err(Rejection::WrongRole {
                id,
                role: c.role,
                kind: c.kind,
            });
        }
        // A record may not be dated before the grant that authorises its author in its role
        // (dated exactly at the grant is fine).
        if let Some(granted_at) = self.roles.get(&(c.author, c.role)).copied() {
            if c.created_at < granted_at {
                return Err(Rejection::BeforeAuthorisation {
                    id,
                    author: c.author,
                    role: c.role,
                    created_at: c.created_at,
                    granted_at,
                });
            }
        }
        if matches!(c.kind, Kind::RoleGrant | Kind::RoleRevoke) {
            let rc: payload::RoleChange =
                serde_json::from_value(c.payload.clone()).map_err(payload_err)?;
            if rc.role == Role::CoreCouncil {
                return Err(Rejection::CouncilRoleFixed { id });
            }
            if c.kind == Kind::RoleGrant {
                self.check_key(id, rc.address, rc.demo_key.as_deref(), self.is_demo())?;
            }
        }
        Ok(())
    }

    /// Applies a genesis or role record (others are ignored).
    pub fn apply(&mut self, id: B256, c: &Content) {
        match c.kind {
            Kind::Genesis => {
                if let Ok(g) = serde_json::from_value::<payload::Genesis>(c.payload.clone()) {
                    self.synome = Some(id);
                    self.council = Some(g.core_council);
                    self.demo_key = g.demo_key;
                }
            }
            Kind::RoleGrant | Kind::RoleRevoke => {
                if let Ok(rc) = serde_json::from_value::<payload::RoleChange>(c.payload.clone()) {
                    if c.kind == Kind::RoleGrant {
                        // A grant of a role already held changes nothing: the first grant
                        // still authorises it.
                        self.roles
                            .entry((rc.address, rc.role))
                            .or_insert(c.created_at);
                    } else {
                        self.roles.remove(&(rc.address, rc.role));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Checks that need no store: hash, signature, schema, subject, payload, and the columns the
/// payload duplicates. Pure; run in parallel.
pub fn check_sealed(r: &SignedRecord) -> Result<(), Rejection> {
    let computed = r.content.id().map_err(|e| non_integer(r.id, e))?;
    check_sealed_with(r, computed)
}

/// [`check_sealed`] with the content's hash already computed.
fn check_sealed_with(r: &SignedRecord, computed: B256) -> Result<(), Rejection> {
    let id = r.id;
    let c = &r.content;
    if computed != id {
        return Err(Rejection::IdMismatch { id, computed });
    }
    let recovered = r.recovered_signer().ok_or(Rejection::BadSignature { id })?;
    if recovered != c.author {
        return Err(Rejection::SignerMismatch {
            id,
            recovered,
            author: c.author,
        });
    }
    if c.schema_version != c.kind.schema_version() {
        return Err(Rejection::SchemaVersion {
            id,
            kind: c.kind,
            found: c.schema_version,
            current: c.kind.schema_version(),
        });
    }
    if i64::try_from(c.created_at.0).is_err() {
        return Err(Rejection::CreatedAtOutOfRange {
            id,
            created_at: c.created_at,
        });
    }
    if !valid_subject(&c.subject) {
        return Err(Rejection::BadSubject {
            id,
            subject: c.subject.clone(),
        });
    }
    validate_payload(c.kind, &c.payload).map_err(|reason| Rejection::Payload {
        id,
        kind: c.kind,
        reason,
    })?;
    if let Some((column, column_value, payload_value)) = column_payload_mismatch(c) {
        return Err(Rejection::ColumnMismatch {
            id,
            column,
            column_value,
            payload_value,
        });
    }
    Ok(())
}

fn non_integer(id: B256, e: crate::canonical::CanonicalError) -> Rejection {
    let crate::canonical::CanonicalError::NonInteger { path, value } = e;
    Rejection::NonIntegerNumber { id, path, value }
}

/// Maps `f` over `items` on all cores (scoped threads), results in input order. Pure work only
/// (hashing, signing, signature recovery), so the result never depends on scheduling. A panic
/// in a worker is re-raised, never turned into a missing result.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if items.len() < 64 || threads < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Records a record references (the one it supersedes; a forgiveness's penalty event).
fn references(c: &Content) -> Vec<B256> {
    let mut v = Vec::new();
    if let Some(s) = c.supersedes {
        v.push(s);
    }
    if let Some(f) = forgiveness_of(c) {
        v.push(f.penalty);
    }
    v
}

fn forgiveness_of(c: &Content) -> Option<payload::Forgiveness> {
    if c.kind == Kind::Forgiveness {
        serde_json::from_value(c.payload.clone()).ok()
    } else {
        None
    }
}

#[derive(Debug, Clone)]
struct Penalty {
    subject: String,
    amount: Wad,
    forgiven: Wad,
}

#[derive(Debug, Clone)]
struct Forgiven {
    penalty: B256,
    amount: Wad,
    superseded: bool,
}

/// The replayed state the rules need: store head, author heads, known records' kinds,
/// penalties and forgivenesses. `verify` builds it from every row; `append` loads the parts a
/// batch touches from the store (see [`Synome::prime`]).
#[derive(Debug, Clone, Default)]
struct Replay {
    auth: AuthState,
    /// Store head `(seq, id)`.
    head: Option<(i64, B256)>,
    /// Author → (last id, last created_at); `None` = known to have written nothing.
    authors: HashMap<Address, Option<(B256, Timestamp)>>,
    /// Known records' kind and subject (subjects interned in `subjects`: one allocation per
    /// distinct subject, however many records).
    kinds: HashMap<B256, (Kind, Arc<str>)>,
    subjects: HashSet<Arc<str>>,
    penalties: HashMap<B256, Penalty>,
    forgiven: HashMap<B256, Forgiven>,
}

impl Replay {
    /// Records that record `id` of `kind` about `subject` precedes what is checked next.
    fn know(&mut self, id: B256, kind: Kind, subject: &str) {
        let subject = match self.subjects.get(subject) {
            Some(s) => s.clone(),
            None => {
                let s: Arc<str> = Arc::from(subject);
                self.subjects.insert(s.clone());
                s
            }
        };
        self.kinds.insert(id, (kind, subject));
    }

    /// The rules that depend on what precedes the record. Assumes `check_sealed` passed.
    fn check(&self, r: &SignedRecord) -> Result<(), Rejection> {
        let id = r.id;
        let c = &r.content;
        self.auth.check(id, c)?;
        let head = self.head.map(|h| h.1).unwrap_or(B256::ZERO);
        if c.store_prev != head {
            return Err(Rejection::StaleStoreHead {
                id,
                head,
                store_prev: c.store_prev,
            });
        }
        let last = self.authors.get(&c.author).copied().flatten();
        let author_head = last.map(|l| l.0).unwrap_or(B256::ZERO);
        if c.prev != author_head {
            return Err(Rejection::BrokenChain {
                id,
                author: c.author,
                head: author_head,
                prev: c.prev,
            });
        }
        if let Some((_, previous)) = last {
            if c.created_at < previous {
                return Err(Rejection::TimeWentBackwards {
                    id,
                    author: c.author,
                    created_at: c.created_at,
                    previous,
                });
            }
        }
        // A correction keeps the kind and the subject of the record it corrects, so the
        // newest record of a kind for a subject is never one a stored correction superseded.
        let superseded = match c.supersedes {
            None => None,
            Some(s) => match self.kinds.get(&s) {
                None => {
                    return Err(Rejection::MissingReference { id, reference: s });
                }
                Some((found, _)) if *found != c.kind => {
                    return Err(Rejection::SupersedesOtherKind {
                        id,
                        superseded: s,
                        kind: c.kind,
                        found: *found,
                    });
                }
                Some((_, subject)) => Some((s, subject)),
            },
        };
        if let Some(f) = forgiveness_of(c) {
            match self.kinds.get(&f.penalty) {
                None => {
                    return Err(Rejection::MissingReference {
                        id,
                        reference: f.penalty,
                    })
                }
                Some((found, _)) if *found != Kind::PenaltyEvent => {
                    return Err(Rejection::WrongReferenceKind {
                        id,
                        reference: f.penalty,
                        found: *found,
                        want: Kind::PenaltyEvent,
                    })
                }
                _ => {}
            }
            // (A forgiveness superseding one about another subject supersedes one of another
            // penalty: refused here, with that more specific code.)
            self.check_forgiveness(id, c, &f)?;
        }
        if let Some((s, subject)) = superseded {
            if **subject != *c.subject {
                return Err(Rejection::SupersedesOtherSubject {
                    id,
                    superseded: s,
                    subject: c.subject.clone(),
                    found: subject.to_string(),
                });
            }
        }
        if c.kind == Kind::Checkpoint {
            if let Ok(cp) = serde_json::from_value::<payload::Checkpoint>(c.payload.clone()) {
                let actual = self.head.map(|h| h.0 as u64).unwrap_or(0);
                if cp.position != actual {
                    return Err(Rejection::CheckpointMismatch {
                        id,
                        position: cp.position,
                        actual,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_forgiveness(
        &self,
        id: B256,
        c: &Content,
        f: &payload::Forgiveness,
    ) -> Result<(), Rejection> {
        if f.amount_wad.is_zero() {
            return Err(Rejection::ZeroForgiveness { id });
        }
        let Some(p) = self.penalties.get(&f.penalty) else {
            return Err(Rejection::MissingReference {
                id,
                reference: f.penalty,
            });
        };
        if p.subject != c.subject {
            return Err(Rejection::ColumnMismatch {
                id,
                column: "subject",
                column_value: c.subject.clone(),
                payload_value: p.subject.clone(),
            });
        }
        // A forgiveness superseding an earlier one of the same penalty replaces it; one of
        // another penalty it may not supersede (that would release the other penalty's
        // forgiveness, and the write path, which loads one subject, could not see it).
        // Every forgiveness of this penalty is known here (verify: all; append: the penalty's
        // subject, loaded with the penalty), so one not found forgives another penalty.
        let superseded = match c.supersedes {
            None => None,
            Some(s) => match self.forgiven.get(&s) {
                Some(g) if g.penalty == f.penalty => Some(g),
                _ => {
                    return Err(Rejection::SupersedesOtherPenalty { id, superseded: s });
                }
            },
        };
        let released = superseded
            .filter(|g| !g.superseded)
            .map(|g| g.amount)
            .unwrap_or(Wad::ZERO);
        let remaining = p
            .amount
            .checked_sub(p.forgiven)
            .and_then(|x| x.checked_add(released))
            .unwrap_or(Wad::ZERO);
        if f.amount_wad > remaining {
            return Err(Rejection::ForgivenessExceedsPenalty {
                id,
                penalty: f.penalty,
                amount: f.amount_wad,
                remaining,
            });
        }
        Ok(())
    }

    /// Whether a stored record `existing` stating the same fact as `c` is still what is in
    /// force, so a retry of `c` may be answered with it: a role change whose effect the current
    /// roles show, a forgiveness not superseded since; every other kind. (Needs the state
    /// [`Synome::prime`] loads for `c`.)
    fn stored_twin_in_force(&self, c: &Content, existing: B256) -> bool {
        role_change_in_force(&self.auth, c)
            && (c.kind != Kind::Forgiveness
                || self.forgiven.get(&existing).is_none_or(|g| !g.superseded))
    }

    /// Advances the state past an accepted record at position `seq`.
    fn apply(&mut self, seq: i64, r: &SignedRecord) {
        let c = &r.content;
        self.auth.apply(r.id, c);
        self.head = Some((seq, r.id));
        self.authors.insert(c.author, Some((r.id, c.created_at)));
        self.know(r.id, c.kind, &c.subject);
        if c.kind == Kind::PenaltyEvent {
            if let Ok(p) = serde_json::from_value::<payload::PenaltyEvent>(c.payload.clone()) {
                self.penalties.insert(
                    r.id,
                    Penalty {
                        subject: c.subject.clone(),
                        amount: p.amount_wad,
                        forgiven: Wad::ZERO,
                    },
                );
            }
        }
        if let Some(f) = forgiveness_of(c) {
            self.apply_forgiveness(r.id, c.supersedes, &f);
        }
    }

    fn apply_forgiveness(&mut self, id: B256, supersedes: Option<B256>, f: &payload::Forgiveness) {
        if let Some(s) = supersedes {
            if let Some(g) = self.forgiven.get_mut(&s) {
                if !g.superseded {
                    g.superseded = true;
                    if let Some(p) = self.penalties.get_mut(&g.penalty) {
                        p.forgiven = p.forgiven.checked_sub(g.amount).unwrap_or(Wad::ZERO);
                    }
                }
            }
        }
        if let Some(p) = self.penalties.get_mut(&f.penalty) {
            p.forgiven = p.forgiven.checked_add(f.amount_wad).unwrap_or(Wad::MAX);
        }
        self.forgiven.insert(
            id,
            Forgiven {
                penalty: f.penalty,
                amount: f.amount_wad,
                superseded: false,
            },
        );
    }
}

/// The chain heads a writer signs against: the Synome's id, the store's head, and each
/// author's head. [`Writer::seal`] advances it, so several writers can seal one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tip {
    pub synome: B256,
    /// The store head's id, and how many records the store holds up to it.
    pub head: B256,
    pub position: u64,
    pub authors: HashMap<Address, B256>,
}

/// A record before it is chained and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: Kind,
    pub epoch: Option<EpochId>,
    pub subject: String,
    pub created_at: Timestamp,
    pub provenance: Provenance,
    pub payload: Value,
    pub supersedes: Option<B256>,
}

impl Draft {
    pub fn new(
        kind: Kind,
        subject: &str,
        created_at: Timestamp,
        provenance: Provenance,
        payload: Value,
    ) -> Draft {
        Draft {
            kind,
            epoch: None,
            subject: subject.to_string(),
            created_at,
            provenance,
            payload,
            supersedes: None,
        }
    }
    pub fn epoch(mut self, e: EpochId) -> Draft {
        self.epoch = Some(e);
        self
    }
    pub fn supersedes(mut self, id: B256) -> Draft {
        self.supersedes = Some(id);
        self
    }
}

/// Signs drafts for one author in one role.
#[derive(Debug, Clone)]
pub struct Writer {
    pub signer: Signer,
    pub role: Role,
}

impl Writer {
    pub fn new(signer: Signer, role: Role) -> Writer {
        Writer { signer, role }
    }

    /// Chains and signs one draft at `tip` (and advances it).
    pub fn seal_one(&self, tip: &mut Tip, d: Draft) -> Result<SignedRecord, SynomeError> {
        let mut v = self.seal(tip, vec![d])?;
        v.pop().ok_or(SynomeError::Rejected(Rejection::NoGenesis {
            id: B256::ZERO,
        }))
    }

    /// Chains drafts in order at `tip` (advancing it) and signs them on all cores.
    pub fn seal(
        &self,
        tip: &mut Tip,
        drafts: Vec<Draft>,
    ) -> Result<Vec<SignedRecord>, SynomeError> {
        let author = self.signer.address();
        let mut sealed = Vec::with_capacity(drafts.len());
        for d in drafts {
            let genesis = d.kind == Kind::Genesis;
            let content = Content {
                synome: if genesis { B256::ZERO } else { tip.synome },
                kind: d.kind,
                schema_version: d.kind.schema_version(),
                epoch: d.epoch,
                subject: d.subject,
                author,
                role: self.role,
                created_at: d.created_at,
                provenance: d.provenance,
                payload: d.payload,
                prev: tip.authors.get(&author).copied().unwrap_or(B256::ZERO),
                store_prev: tip.head,
                supersedes: d.supersedes,
            };
            let id = content.id().map_err(|e| non_integer(B256::ZERO, e))?;
            if genesis {
                tip.synome = id;
            }
            tip.head = id;
            tip.position += 1;
            tip.authors.insert(author, id);
            sealed.push((id, content));
        }
        let signer = &self.signer;
        let sigs = par_map(&sealed, |(id, _)| signer.sign(*id));
        Ok(sealed
            .into_iter()
            .zip(sigs)
            .map(|((id, content), signature)| SignedRecord {
                id,
                content,
                signature,
            })
            .collect())
    }
}

pub struct Synome<S: Store> {
    store: S,
    auth: AuthState,
    /// Position and id of the last genesis/role record `auth` has applied: the cache is used
    /// only while the store still holds that record at that position.
    auth_seq: i64,
    auth_id: B256,
}

/// The outcome of [`Synome::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records verified (before the first bad one, if any).
    pub records: u64,
    /// The Synome's id (its genesis), if the store has one.
    pub synome: Option<String>,
    /// A DEMO Synome (keys derived from public seeds).
    pub demo: bool,
    /// The store head `(position, id)`.
    pub head: Option<(i64, String)>,
    pub checkpoints: u64,
    pub last_checkpoint: Option<CheckpointSeen>,
    /// Records after the last checkpoint: a store owner could delete these undetected.
    pub unpinned: u64,
    /// Checkpoints the auditor named (`--checkpoint`) that are not in the store (truncation).
    pub missing_anchors: Vec<String>,
    pub first_bad: Option<BadRecord>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.first_bad.is_none() && self.missing_anchors.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointSeen {
    pub seq: i64,
    pub id: String,
    pub epoch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRecord {
    pub seq: i64,
    pub id: String,
    /// The stable code of the rule broken (`synome/...` or `store/corrupt-row`).
    pub code: String,
    pub reason: String,
}

/// The bad record an unreadable row makes (`store/corrupt-row`, naming row and column).
fn corrupt_bad(e: StoreError) -> BadRecord {
    let (seq, id) = match &e {
        StoreError::Corrupt { seq, id, .. } => (*seq, id.clone()),
        _ => (0, String::new()),
    };
    BadRecord {
        seq,
        id,
        code: e.code().into(),
        reason: e.to_string(),
    }
}

fn decode_auth(
    rows: Vec<RawRow>,
    auth: &mut AuthState,
    seq: &mut i64,
    last: &mut B256,
) -> Result<(), StoreError> {
    for row in rows {
        let r = row.decode()?;
        auth.apply(r.id, &r.content);
        *seq = row.seq;
        *last = r.id;
    }
    Ok(())
}

/// For a role grant (revocation): whether the role is (is not) held now, i.e. whether a stored
/// record stating this fact is still what is in force. Other kinds: always.
fn role_change_in_force(auth: &AuthState, c: &Content) -> bool {
    if !matches!(c.kind, Kind::RoleGrant | Kind::RoleRevoke) {
        return true;
    }
    match serde_json::from_value::<payload::RoleChange>(c.payload.clone()) {
        Ok(rc) => auth.holds(rc.address, rc.role) == (c.kind == Kind::RoleGrant),
        Err(_) => true,
    }
}

/// Whether `row` (looked up by the cached id) is still at position `seq`.
fn holds_at(row: Option<RawRow>, seq: i64) -> bool {
    row.is_some_and(|r| r.seq == seq)
}

/// How many times [`Synome::write`] re-reads the heads after losing a race.
const WRITE_RETRIES: u32 = 16;

impl<S: Store> Synome<S> {
    pub fn new(store: S) -> Synome<S> {
        Synome {
            store,
            auth: AuthState::default(),
            auth_seq: 0,
            auth_id: B256::ZERO,
        }
    }

    fn reset_auth(&mut self) {
        self.auth = AuthState::default();
        self.auth_seq = 0;
        self.auth_id = B256::ZERO;
    }

    pub fn store(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// The current authorisation state (refreshed from the store).
    pub fn auth(&mut self) -> Result<AuthState, SynomeError> {
        if self.auth_seq > 0 && !holds_at(self.store.get(self.auth_id)?, self.auth_seq) {
            self.reset_auth();
        }
        let rows = self.store.auth_rows_since(self.auth_seq)?;
        decode_auth(rows, &mut self.auth, &mut self.auth_seq, &mut self.auth_id)?;
        Ok(self.auth.clone())
    }

    /// The heads to sign new records against, for every author (scans the author index:
    /// convenient for tools and tests; writers use [`Synome::tip_for`]).
    pub fn tip(&mut self) -> Result<Tip, SynomeError> {
        let mut tip = self.tip_for(&[])?;
        tip.authors = self.store.author_heads()?.into_iter().collect();
        Ok(tip)
    }

    /// The heads to sign new records against, for the given authors only (index lookups: what
    /// a writer needs, whatever the size of the store).
    pub fn tip_for(&mut self, authors: &[Address]) -> Result<Tip, SynomeError> {
        let auth = self.auth()?;
        let head = self.store.head()?;
        let mut heads = HashMap::new();
        for a in authors {
            if let Some(h) = self.store.author_head(*a)? {
                heads.insert(*a, h);
            }
        }
        Ok(Tip {
            synome: auth.synome.unwrap_or_default(),
            head: head.map(|h| h.1).unwrap_or_default(),
            position: head.map(|h| h.0.max(0) as u64).unwrap_or(0),
            authors: heads,
        })
    }

    /// Writes a checkpoint pinning the current head for `epoch` (retrying after lost races,
    /// so the position it states is always the true one).
    pub fn checkpoint(
        &mut self,
        w: &Writer,
        epoch: EpochId,
        created_at: Timestamp,
    ) -> Result<(B256, Appended), SynomeError> {
        let mut attempt = 0;
        loop {
            let mut tip = self.tip_for(&[w.signer.address()])?;
            let d = Draft::new(
                Kind::Checkpoint,
                "global",
                created_at,
                Provenance::SystemDerived,
                serde_json::json!({"epoch": epoch.to_string(), "position": tip.position}),
            )
            .epoch(epoch);
            let r = w.seal_one(&mut tip, d)?;
            self.check_signer(r.id, &w.signer)?;
            match self.append(&r) {
                Err(e) if e.is_retryable() && attempt < WRITE_RETRIES => attempt += 1,
                Err(e) => return Err(e),
                Ok(a @ Appended::AlreadyStored { id }) => return Ok((id, a)),
                Ok(a) => return Ok((r.id, a)),
            }
        }
    }

    /// Seals `drafts` with `w` at the current heads and appends them, re-reading the heads and
    /// re-signing after a lost race. Idempotent: facts already stored come back as
    /// [`Appended::AlreadyStored`]. A demo key is refused by a real Synome and vice versa
    /// before anything is signed.
    pub fn write(&mut self, w: &Writer, drafts: Vec<Draft>) -> Result<Vec<Appended>, SynomeError> {
        let mut attempt = 0;
        // Drafts a lost attempt found already stored: they are not sealed again, because a
        // record chained after one that is not stored can never be appended.
        let mut known: Vec<Option<Appended>> = vec![None; drafts.len()];
        loop {
            let pending: Vec<usize> = (0..drafts.len()).filter(|i| known[*i].is_none()).collect();
            let mut tip = self.tip_for(&[w.signer.address()])?;
            let recs = w.seal(
                &mut tip,
                pending.iter().map(|i| drafts[*i].clone()).collect(),
            )?;
            if let (Some(_), Some(first)) = (self.auth.synome, recs.first()) {
                self.check_signer(first.id, &w.signer)?;
            }
            match self.append_batch(&recs) {
                Err(e) if e.is_retryable() && attempt < WRITE_RETRIES => {
                    attempt += 1;
                    self.mark_stored(&recs, &pending, &mut known)?;
                }
                Err(e) => return Err(e),
                Ok(out) => {
                    for (slot, a) in pending.into_iter().zip(out) {
                        known[slot] = Some(a);
                    }
                    return Ok(known.into_iter().flatten().collect());
                }
            }
        }
    }

    /// Marks the sealed records whose fact is already stored as [`Appended::AlreadyStored`]
    /// (under the same in-force rule for role changes as `append_batch`, replaying the
    /// batch's own role changes before them).
    fn mark_stored(
        &mut self,
        recs: &[SignedRecord],
        slots: &[usize],
        known: &mut [Option<Appended>],
    ) -> Result<(), SynomeError> {
        let facts = recs
            .iter()
            .map(|r| r.content.fact().map_err(|e| non_integer(r.id, e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut st = Replay {
            auth: self.auth()?,
            ..Replay::default()
        };
        // A dry run (rolled back): what `append_batch` would answer for each fact, with the
        // records not yet stored applied as if they were.
        let mut tx = self.store.begin()?;
        let existing = tx.existing_facts(&facts)?;
        for ((r, fact), slot) in recs.iter().zip(&facts).zip(slots) {
            Self::prime(tx.as_mut(), &mut st, r)?;
            match existing.get(fact) {
                Some(id) if st.stored_twin_in_force(&r.content, *id) => {
                    known[*slot] = Some(Appended::AlreadyStored { id: *id });
                }
                Some(id) => {
                    return Err(Rejection::DuplicateFact {
                        id: r.id,
                        existing: *id,
                    }
                    .into())
                }
                None => st.apply(0, r),
            }
        }
        Ok(())
    }

    /// A demo signer may write only to a demo Synome, and a real one only to a real one.
    pub fn check_signer(&mut self, id: B256, signer: &Signer) -> Result<(), SynomeError> {
        let auth = self.auth()?;
        if auth.synome.is_none() {
            return Ok(());
        }
        match (auth.is_demo(), signer.is_demo()) {
            (false, true) => Err(Rejection::DemoKeyInRealSynome {
                id,
                address: signer.address(),
                label: signer.label().to_string(),
            }
            .into()),
            (true, false) => Err(Rejection::RealKeyInDemoSynome {
                id,
                address: signer.address(),
            }
            .into()),
            _ => Ok(()),
        }
    }

    pub fn append(&mut self, r: &SignedRecord) -> Result<Appended, SynomeError> {
        let mut v = self.append_batch(std::slice::from_ref(r))?;
        v.pop()
            .ok_or(SynomeError::Rejected(Rejection::NoGenesis { id: r.id }))
    }

    /// Loads from the store what the rules need to judge `r` (author head, referenced records,
    /// the penalty a forgiveness names with its forgivenesses so far).
    fn prime(tx: &mut dyn StoreTx, st: &mut Replay, r: &SignedRecord) -> Result<(), SynomeError> {
        let c = &r.content;
        if let std::collections::hash_map::Entry::Vacant(e) = st.authors.entry(c.author) {
            let h = tx.author_head(c.author)?;
            e.insert(h.map(|(id, t)| (id, Timestamp(t.max(0) as u64))));
        }
        for reference in references(c) {
            if st.kinds.contains_key(&reference) {
                continue;
            }
            let Some(row) = tx.get(reference)? else {
                continue;
            };
            let rec = row.decode()?;
            st.know(rec.id, rec.content.kind, &rec.content.subject);
            if rec.content.kind == Kind::PenaltyEvent && !st.penalties.contains_key(&rec.id) {
                let Ok(p) =
                    serde_json::from_value::<payload::PenaltyEvent>(rec.content.payload.clone())
                else {
                    continue;
                };
                // Replay the subject's forgivenesses to find what is already forgiven of it.
                let mut local: Vec<(B256, Forgiven)> = Vec::new();
                for frow in tx.rows_of(Kind::Forgiveness, &rec.content.subject)? {
                    let f = frow.decode()?;
                    if let Some(fp) = forgiveness_of(&f.content) {
                        if let Some(s) = f.content.supersedes {
                            if let Some(g) = local.iter_mut().find(|g| g.0 == s) {
                                g.1.superseded = true;
                            }
                        }
                        local.push((
                            f.id,
                            Forgiven {
                                penalty: fp.penalty,
                                amount: fp.amount_wad,
                                superseded: false,
                            },
                        ));
                    }
                }
                let mut forgiven = Wad::ZERO;
                for (_, g) in local
                    .iter()
                    .filter(|g| g.1.penalty == rec.id && !g.1.superseded)
                {
                    forgiven = forgiven.checked_add(g.amount).unwrap_or(Wad::MAX);
                }
                st.penalties.insert(
                    rec.id,
                    Penalty {
                        subject: rec.content.subject.clone(),
                        amount: p.amount_wad,
                        forgiven,
                    },
                );
                for (id, g) in local {
                    st.know(id, Kind::Forgiveness, &rec.content.subject);
                    st.forgiven.entry(id).or_insert(g);
                }
            }
        }
        Ok(())
    }

    /// Appends all records in one transaction, or none of them.
    pub fn append_batch(&mut self, rs: &[SignedRecord]) -> Result<Vec<Appended>, SynomeError> {
        // The store-free checks, the fact and the canonical row of every record, on all cores
        // (the position is set below).
        let prepared: Vec<(B256, RawRow)> = par_map(rs, |r| {
            let h = r.content.hashes().map_err(|e| non_integer(r.id, e))?;
            check_sealed_with(r, h.id)?;
            Ok((h.fact, RawRow::from_record(r, 0, h.fact, h.payload)))
        })
        .into_iter()
        .collect::<Result<_, Rejection>>()?;
        let facts: Vec<B256> = prepared.iter().map(|p| p.0).collect();
        let mut tx = self.store.begin()?;
        let head = tx.lock_head()?;
        // The cached authorisation is the store's only if the store still holds the last role
        // record it applied, where it was (a store rolled back past a grant must not keep
        // authorising its grantee).
        if self.auth_seq > 0 && !holds_at(tx.get(self.auth_id)?, self.auth_seq) {
            self.auth = AuthState::default();
            self.auth_seq = 0;
            self.auth_id = B256::ZERO;
        }
        let mut auth = self.auth.clone();
        let mut auth_seq = self.auth_seq;
        let mut auth_id = self.auth_id;
        decode_auth(
            tx.auth_rows_since(auth_seq)?,
            &mut auth,
            &mut auth_seq,
            &mut auth_id,
        )?;
        let mut st = Replay {
            auth,
            head,
            ..Replay::default()
        };
        let existing = tx.existing_facts(&facts)?;
        let mut batch_facts: HashMap<B256, B256> = HashMap::new();
        let mut out = Vec::with_capacity(rs.len());
        let mut rows = Vec::with_capacity(rs.len());
        for (r, (fact, mut row)) in rs.iter().zip(prepared) {
            let fact = &fact;
            if let Some(id) = existing.get(fact).or_else(|| batch_facts.get(fact)) {
                // A retry is answered with the stored record only while that record's effect
                // is in force: a revocation equal to an earlier one, written after a re-grant,
                // or a forgiveness equal to a superseded one, must not come back "already
                // stored" while something else is in force.
                Self::prime(tx.as_mut(), &mut st, r)?;
                if !st.stored_twin_in_force(&r.content, *id) {
                    return Err(Rejection::DuplicateFact {
                        id: r.id,
                        existing: *id,
                    }
                    .into());
                }
                out.push(Appended::AlreadyStored { id: *id });
                continue;
            }
            Self::prime(tx.as_mut(), &mut st, r)?;
            st.check(r)?;
            let seq = st.head.map(|h| h.0).unwrap_or(0) + 1;
            st.apply(seq, r);
            batch_facts.insert(*fact, r.id);
            row.seq = seq;
            rows.push(row);
            out.push(Appended::Stored { seq });
        }
        tx.insert(&rows)?;
        tx.commit()?;
        // The store must have kept what it acknowledged: a store whose owner deletes rows as
        // they are inserted (a trigger, or a PostgreSQL constraint trigger deferred to commit)
        // would otherwise answer `stored` for a record it does not hold, and verify could not
        // tell. (A later record's links show a row removed from the middle of a batch.)
        if let Some(last) = rows.last() {
            let id = last.id.parse().unwrap_or_default();
            if !holds_at(self.store.get(id)?, last.seq) {
                return Err(StoreError::Write(format!(
                    "the store acknowledged record {} at position {} but does not hold it there (a trigger or rule on the records table?)",
                    last.id, last.seq
                ))
                .into());
            }
        }
        self.auth = st.auth;
        (self.auth_seq, self.auth_id) = rows
            .iter()
            .filter(|r| matches!(r.kind.as_str(), "genesis" | "role-grant" | "role-revoke"))
            .map(|r| (r.seq, r.id.parse().unwrap_or_default()))
            .max_by_key(|x: &(i64, B256)| x.0)
            .filter(|x| x.0 > auth_seq)
            .unwrap_or((auth_seq, auth_id));
        Ok(out)
    }

    pub fn get(&mut self, id: B256) -> Result<Option<SignedRecord>, SynomeError> {
        Ok(self.store.get(id)?.map(|r| r.decode()).transpose()?)
    }

    pub fn latest(
        &mut self,
        kind: Kind,
        subject: &str,
    ) -> Result<Option<SignedRecord>, SynomeError> {
        Ok(self
            .store
            .latest(kind, subject)?
            .map(|r| r.decode())
            .transpose()?)
    }

    /// One page of a listing and the cursor for the next page.
    pub fn list(&mut self, q: &Query) -> Result<(Vec<SignedRecord>, Option<i64>), SynomeError> {
        let page = self.store.list(q)?;
        let recs = page
            .rows
            .iter()
            .map(|r| r.decode())
            .collect::<Result<Vec<_>, _>>()?;
        Ok((recs, page.next))
    }

    /// Every record about a subject, oldest first.
    pub fn history(&mut self, subject: &str) -> Result<Vec<SignedRecord>, SynomeError> {
        let mut out = Vec::new();
        let mut q = Query {
            subject: Some(subject.to_string()),
            limit: 10_000,
            ..Query::default()
        };
        loop {
            let (mut recs, next) = self.list(&q)?;
            out.append(&mut recs);
            match next {
                Some(n) => q.after = n,
                None => return Ok(out),
            }
        }
    }

    /// The author's current chain head (zero if they have written nothing).
    pub fn head(&mut self, author: Address) -> Result<B256, SynomeError> {
        Ok(self
            .tip()?
            .authors
            .get(&author)
            .copied()
            .unwrap_or_default())
    }

    /// Verifies the whole store (see the module contract); `anchors` are checkpoint ids an
    /// auditor holds from outside the store: any that is missing means the store was truncated.
    pub fn verify(&mut self, anchors: &[B256]) -> Result<VerifyReport, SynomeError> {
        let mut st = Replay::default();
        let mut ids: HashSet<B256> = HashSet::new();
        let mut facts: HashMap<B256, B256> = HashMap::new();
        let mut report = VerifyReport {
            records: 0,
            synome: None,
            demo: false,
            head: None,
            checkpoints: 0,
            last_checkpoint: None,
            unpinned: 0,
            missing_anchors: Vec::new(),
            first_bad: None,
        };
        let mut q = Query {
            limit: 10_000,
            ..Query::default()
        };
        // A row without a position in the chain (NULL, or below 1) is never reached by paging,
        // yet `get` and the fact index serve it: it is the first bad record.
        match self.store.unpositioned() {
            Ok(None) => {}
            Ok(Some(row)) => {
                let e = Rejection::PositionGap {
                    id: row.id.parse().unwrap_or_default(),
                    seq: row.seq,
                    expected: 1,
                };
                report.first_bad = Some(BadRecord {
                    seq: row.seq,
                    id: row.id,
                    code: e.code().into(),
                    reason: e.to_string(),
                });
                return Ok(report);
            }
            Err(e @ StoreError::Corrupt { .. }) => {
                report.first_bad = Some(corrupt_bad(e));
                return Ok(report);
            }
            Err(e) => return Err(e.into()),
        }
        'pages: loop {
            let page = match self.store.list(&q) {
                Ok(p) => p,
                Err(e @ StoreError::Corrupt { .. }) => {
                    report.first_bad = Some(corrupt_bad(e));
                    break 'pages;
                }
                Err(e) => return Err(e.into()),
            };
            let checked = par_map(&page.rows, |row| {
                row.decode().map(|r| {
                    let d = derive(row, &r);
                    (r, d)
                })
            });
            for (row, c) in page.rows.iter().zip(checked) {
                let (r, derived) = match c {
                    Ok(x) => x,
                    Err(e) => {
                        report.first_bad = Some(BadRecord {
                            seq: row.seq,
                            id: row.id.clone(),
                            code: e.code().into(),
                            reason: e.to_string(),
                        });
                        break 'pages;
                    }
                };
                let r = &r;
                if let Err(bad) = verify_row(row, r, derived, &mut st, &mut ids, &mut facts) {
                    report.first_bad = Some(bad);
                    break 'pages;
                }
                report.records += 1;
                if r.content.kind == Kind::Checkpoint {
                    report.checkpoints += 1;
                    report.last_checkpoint = Some(CheckpointSeen {
                        seq: row.seq,
                        id: row.id.clone(),
                        epoch: r.content.epoch.map(|e| e.to_string()).unwrap_or_default(),
                    });
                    report.unpinned = 0;
                } else {
                    report.unpinned += 1;
                }
            }
            match page.next {
                Some(n) => q.after = n,
                None => break,
            }
        }
        report.synome = st.auth.synome.map(|s| s.to_string());
        report.demo = st.auth.is_demo();
        report.head = st.head.map(|(s, id)| (s, id.to_string()));
        report.missing_anchors = anchors
            .iter()
            .filter(|a| {
                !(ids.contains(*a) && st.kinds.get(*a).map(|k| k.0) == Some(Kind::Checkpoint))
            })
            .map(|a| a.to_string())
            .collect();
        Ok(report)
    }

    /// Writes every record as JSON lines (storage order) to `w`.
    pub fn export_jsonl(&mut self, w: &mut dyn std::io::Write) -> Result<u64, SynomeError> {
        self.export(|r| {
            let mut line = serde_json::to_string(&r.to_json())
                .map_err(|e| StoreError::Write(e.to_string()))?;
            line.push('\n');
            w.write_all(line.as_bytes())
                .map_err(|e| SynomeError::Store(StoreError::Write(e.to_string())))
        })
    }

    /// Writes every record as CSV (header row first; payload as a canonical JSON column).
    pub fn export_csv(&mut self, w: &mut dyn std::io::Write) -> Result<u64, SynomeError> {
        let io = |e: csv::Error| SynomeError::Store(StoreError::Write(e.to_string()));
        let mut cw = csv::Writer::from_writer(w);
        cw.write_record(CSV_HEADER).map_err(io)?;
        let n = self.export(|r| {
            let c = &r.content;
            cw.write_record([
                r.id.to_string(),
                c.synome.to_string(),
                c.kind.to_string(),
                c.schema_version.to_string(),
                c.epoch.map(|e| e.to_string()).unwrap_or_default(),
                c.subject.clone(),
                format!("{:#x}", c.author),
                c.role.to_string(),
                c.created_at.0.to_string(),
                c.provenance.to_string(),
                c.prev.to_string(),
                c.store_prev.to_string(),
                c.supersedes.map(|s| s.to_string()).unwrap_or_default(),
                r.signature.to_hex(),
                crate::canonical::to_canonical(&c.payload).unwrap_or_default(),
            ])
            .map_err(io)
        })?;
        cw.flush()
            .map_err(|e| SynomeError::Store(StoreError::Write(e.to_string())))?;
        Ok(n)
    }

    fn export(
        &mut self,
        mut f: impl FnMut(&SignedRecord) -> Result<(), SynomeError>,
    ) -> Result<u64, SynomeError> {
        let mut n = 0;
        let mut q = Query {
            limit: 10_000,
            ..Query::default()
        };
        loop {
            let (recs, next) = self.list(&q)?;
            for r in &recs {
                f(r)?;
                n += 1;
            }
            match next {
                Some(c) => q.after = c,
                None => return Ok(n),
            }
        }
    }
}

/// What `verify` derives from a stored row and its decoded record on all cores: the sealed
/// checks, and the fact with the first column that differs from the record's one canonical
/// row (if any).
type Derived = (
    Result<(), Rejection>,
    Result<(B256, Option<&'static str>), Rejection>,
);

fn derive(row: &RawRow, r: &SignedRecord) -> Derived {
    match r.content.hashes() {
        Err(e) => (Err(non_integer(r.id, e.clone())), Err(non_integer(r.id, e))),
        Ok(h) => {
            let sealed = check_sealed_with(r, h.id);
            let canonical = RawRow::from_record(r, row.seq, h.fact, h.payload);
            (sealed, Ok((h.fact, row.first_difference(&canonical))))
        }
    }
}

fn verify_row(
    row: &RawRow,
    r: &SignedRecord,
    derived: Derived,
    st: &mut Replay,
    ids: &mut HashSet<B256>,
    facts: &mut HashMap<B256, B256>,
) -> Result<(), BadRecord> {
    let bad = |e: Rejection| BadRecord {
        seq: row.seq,
        id: row.id.clone(),
        code: e.code().into(),
        reason: e.to_string(),
    };
    let expected = st.head.map(|h| h.0).unwrap_or(0) + 1;
    if row.seq != expected {
        return Err(bad(Rejection::PositionGap {
            id: r.id,
            seq: row.seq,
            expected,
        }));
    }
    let (sealed, rest) = derived;
    sealed.map_err(bad)?;
    let (fact, difference) = rest.map_err(bad)?;
    if let Some(column) = difference {
        return Err(bad(Rejection::NonCanonicalColumn { id: r.id, column }));
    }
    if !ids.insert(r.id) {
        return Err(bad(Rejection::DuplicateId { id: r.id }));
    }
    if let Some(existing) = facts.insert(fact, r.id) {
        return Err(bad(Rejection::DuplicateFact { id: r.id, existing }));
    }
    st.check(r).map_err(bad)?;
    st.apply(row.seq, r);
    Ok(())
}

/// The CSV export's columns, in order.
pub const CSV_HEADER: [&str; 15] = [
    "id",
    "synome",
    "kind",
    "schema_version",
    "epoch",
    "subject",
    "author",
    "role",
    "created_at",
    "provenance",
    "prev",
    "store_prev",
    "supersedes",
    "signature",
    "payload",
];
