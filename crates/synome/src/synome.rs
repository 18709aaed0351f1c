//! The Synome: validated, authorised, chained appends over any [`Store`], queries, verification
//! and export (SPEC §6).
//!
//! Contract:
//! - `append_batch` checks every record *before* and *inside* one store transaction — id = hash
//!   of canonical content, signature recovers to the author, payload fits its kind's schema,
//!   the author holds the role and the role may write the kind, `prev` is the author's current
//!   head, referenced records exist — and stores all of the batch or none of it.
//! - Appending a record that is already stored is a no-op reported as [`Appended::AlreadyStored`].
//! - A lost race with another writer of the same chain is a retryable error.
//! - `verify` re-derives everything from the stored columns and names the first bad record.

use crate::keys::Signer;
use crate::record::{
    payload, valid_subject, validate_payload, Content, Kind, Provenance, Role, SignedRecord,
};
use crate::store::{Query, RawRow, Store, StoreError};
use alloy_primitives::{Address, B256};
use laniakea_settlement::EpochId;
use laniakea_units::Timestamp;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SynomeError {
    #[error("record {id}: id does not match the hash of its content ({computed})")]
    IdMismatch { id: B256, computed: B256 },
    #[error("record {id}: bad signature (it does not recover to an address)")]
    BadSignature { id: B256 },
    #[error("record {id}: signed by {recovered}, but the author field says {author}")]
    SignerMismatch {
        id: B256,
        recovered: Address,
        author: Address,
    },
    #[error("record {id}: unknown signer {author}: it holds no role in this Synome")]
    UnknownSigner { id: B256, author: Address },
    #[error("record {id}: {author} does not hold role {role}")]
    RoleNotHeld {
        id: B256,
        author: Address,
        role: Role,
    },
    #[error("record {id}: role {role} may not write {kind} records (allowed: {allowed})")]
    WrongRole {
        id: B256,
        role: Role,
        kind: Kind,
        allowed: String,
    },
    #[error("record {id}: broken chain: author {author}'s head is {head}, the record's prev is {prev} (a stale writer re-reads the head and re-signs)")]
    BrokenChain {
        id: B256,
        author: Address,
        head: B256,
        prev: B256,
    },
    #[error("record {id}: invalid {kind} payload: {reason}")]
    Payload {
        id: B256,
        kind: Kind,
        reason: String,
    },
    #[error("record {id}: {reason}")]
    Invalid { id: B256, reason: String },
    #[error("record {id}: the Synome has no genesis yet; the first record must be the Core Council's genesis")]
    NoGenesis { id: B256 },
    #[error("record {id}: a genesis record already exists")]
    GenesisExists { id: B256 },
    #[error("record {id}: references {reference}, which is {problem}")]
    BadReference {
        id: B256,
        reference: B256,
        problem: String,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl SynomeError {
    /// Safe to retry after re-reading the chain head and re-signing (another writer of the same
    /// chain got there first). Nothing was stored.
    pub fn is_retryable(&self) -> bool {
        match self {
            SynomeError::Store(e) => e.is_retryable(),
            SynomeError::BrokenChain { .. } => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Appended {
    Stored { seq: i64 },
    AlreadyStored,
}

/// Who may write what, replayed from genesis and role records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthState {
    pub council: Option<Address>,
    pub roles: BTreeSet<(Address, Role)>,
}

impl AuthState {
    pub fn holds(&self, who: Address, role: Role) -> bool {
        match role {
            Role::CoreCouncil => self.council == Some(who),
            r => self.roles.contains(&(who, r)),
        }
    }

    fn holds_any(&self, who: Address) -> bool {
        self.council == Some(who) || self.roles.iter().any(|(a, _)| *a == who)
    }

    /// Whether `r` may be written in the current state.
    pub fn check(&self, id: B256, c: &Content) -> Result<(), SynomeError> {
        match (self.council, c.kind) {
            (None, Kind::Genesis) => {
                let g: payload::Genesis =
                    serde_json::from_value(c.payload.clone()).map_err(|e| {
                        SynomeError::Payload {
                            id,
                            kind: c.kind,
                            reason: e.to_string(),
                        }
                    })?;
                if g.core_council != c.author || c.role != Role::CoreCouncil {
                    return Err(SynomeError::Invalid { id, reason: "genesis must be written by the Core Council address it names, in role core-council".into() });
                }
                return Ok(());
            }
            (None, _) => return Err(SynomeError::NoGenesis { id }),
            (Some(_), Kind::Genesis) => return Err(SynomeError::GenesisExists { id }),
            _ => {}
        }
        if !self.holds(c.author, c.role) {
            return Err(if self.holds_any(c.author) {
                SynomeError::RoleNotHeld {
                    id,
                    author: c.author,
                    role: c.role,
                }
            } else {
                SynomeError::UnknownSigner {
                    id,
                    author: c.author,
                }
            });
        }
        let allowed = c.role.allowed_kinds();
        if !allowed.contains(&c.kind) {
            return Err(SynomeError::WrongRole {
                id,
                role: c.role,
                kind: c.kind,
                allowed: allowed
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if matches!(c.kind, Kind::RoleGrant | Kind::RoleRevoke) {
            let rc: payload::RoleChange =
                serde_json::from_value(c.payload.clone()).map_err(|e| SynomeError::Payload {
                    id,
                    kind: c.kind,
                    reason: e.to_string(),
                })?;
            if rc.role == Role::CoreCouncil {
                return Err(SynomeError::Invalid {
                    id,
                    reason:
                        "the core-council role is fixed at genesis and cannot be granted or revoked"
                            .into(),
                });
            }
        }
        Ok(())
    }

    pub fn apply(&mut self, c: &Content) {
        match c.kind {
            Kind::Genesis => {
                if let Ok(g) = serde_json::from_value::<payload::Genesis>(c.payload.clone()) {
                    self.council = Some(g.core_council);
                }
            }
            Kind::RoleGrant | Kind::RoleRevoke => {
                if let Ok(rc) = serde_json::from_value::<payload::RoleChange>(c.payload.clone()) {
                    if c.kind == Kind::RoleGrant {
                        self.roles.insert((rc.address, rc.role));
                    } else {
                        self.roles.remove(&(rc.address, rc.role));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Checks that need no store: hash, signature, schema, subject. Pure; run in parallel.
pub fn check_sealed(r: &SignedRecord) -> Result<(), SynomeError> {
    let id = r.id;
    let c = &r.content;
    let computed = c.id().map_err(|e| SynomeError::Invalid {
        id,
        reason: e.to_string(),
    })?;
    if computed != id {
        return Err(SynomeError::IdMismatch { id, computed });
    }
    let recovered = r
        .recovered_signer()
        .ok_or(SynomeError::BadSignature { id })?;
    if recovered != c.author {
        return Err(SynomeError::SignerMismatch {
            id,
            recovered,
            author: c.author,
        });
    }
    if c.schema_version != c.kind.schema_version() {
        return Err(SynomeError::Invalid {
            id,
            reason: format!(
                "schema version {} is not {}'s current version {}",
                c.schema_version,
                c.kind,
                c.kind.schema_version()
            ),
        });
    }
    if !valid_subject(&c.subject) {
        return Err(SynomeError::Invalid {
            id,
            reason: format!(
                "subject '{}' is not generator, global or prime:<id>",
                c.subject
            ),
        });
    }
    validate_payload(c.kind, &c.payload).map_err(|reason| SynomeError::Payload {
        id,
        kind: c.kind,
        reason,
    })
}

/// Runs `check_sealed` over many records on all cores; results in input order.
pub fn check_sealed_all(rs: &[SignedRecord]) -> Vec<Result<(), SynomeError>> {
    par_map(rs, check_sealed)
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

/// References a record makes to others (supersedes, forgiveness → penalty event).
fn references(c: &Content) -> Vec<(B256, Option<Kind>)> {
    let mut v = Vec::new();
    if let Some(s) = c.supersedes {
        v.push((s, Some(c.kind)));
    }
    if c.kind == Kind::Forgiveness {
        if let Ok(f) = serde_json::from_value::<payload::Forgiveness>(c.payload.clone()) {
            v.push((f.penalty, Some(Kind::PenaltyEvent)));
        }
    }
    v
}

fn decode_auth(rows: Vec<RawRow>, auth: &mut AuthState, seq: &mut i64) -> Result<(), SynomeError> {
    for row in rows {
        let r = row.decode()?;
        auth.apply(&r.content);
        *seq = row.seq;
    }
    Ok(())
}

pub struct Synome<S: Store> {
    store: S,
    auth: AuthState,
    auth_seq: i64,
}

/// The outcome of [`Synome::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub first_bad: Option<BadRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRecord {
    pub seq: i64,
    pub id: String,
    pub reason: String,
}

impl<S: Store> Synome<S> {
    pub fn new(store: S) -> Synome<S> {
        Synome {
            store,
            auth: AuthState::default(),
            auth_seq: 0,
        }
    }

    pub fn store(&mut self) -> &mut S {
        &mut self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    /// The current authorisation state (refreshed from the store).
    pub fn auth(&mut self) -> Result<AuthState, SynomeError> {
        let mut tx = self.store.begin()?;
        let rows = tx.auth_rows_since(self.auth_seq)?;
        drop(tx);
        decode_auth(rows, &mut self.auth, &mut self.auth_seq)?;
        Ok(self.auth.clone())
    }

    pub fn append(&mut self, r: &SignedRecord) -> Result<Appended, SynomeError> {
        Ok(self.append_batch(std::slice::from_ref(r))?.remove(0))
    }

    /// Appends all records in one transaction, or none of them.
    pub fn append_batch(&mut self, rs: &[SignedRecord]) -> Result<Vec<Appended>, SynomeError> {
        for res in check_sealed_all(rs) {
            res?;
        }
        let rows: Vec<RawRow> = rs
            .iter()
            .map(|r| {
                crate::canonical::to_canonical(&r.content.payload)
                    .map(|p| RawRow::from_record(r, p))
                    .map_err(|e| SynomeError::Invalid {
                        id: r.id,
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let mut auth = self.auth.clone();
        let mut auth_seq = self.auth_seq;
        let mut tx = self.store.begin()?;
        decode_auth(tx.auth_rows_since(auth_seq)?, &mut auth, &mut auth_seq)?;
        let mut heads: HashMap<Address, B256> = HashMap::new();
        let mut batch_kinds: HashMap<B256, Kind> = HashMap::new();
        let ids: Vec<B256> = rs.iter().map(|r| r.id).collect();
        let existing = tx.existing(&ids)?;
        let mut out = Vec::with_capacity(rs.len());
        for (r, row) in rs.iter().zip(&rows) {
            let c = &r.content;
            if batch_kinds.contains_key(&r.id) || existing.contains(&r.id) {
                out.push(Appended::AlreadyStored);
                continue;
            }
            auth.check(r.id, c)?;
            let head = match heads.get(&c.author) {
                Some(h) => *h,
                None => tx.author_head(c.author)?.unwrap_or(B256::ZERO),
            };
            if c.prev != head {
                return Err(SynomeError::BrokenChain {
                    id: r.id,
                    author: c.author,
                    head,
                    prev: c.prev,
                });
            }
            for (reference, want) in references(c) {
                let found = match batch_kinds.get(&reference) {
                    Some(k) => Some(*k),
                    None => tx.kind_of(reference)?,
                };
                match (found, want) {
                    (None, _) => {
                        return Err(SynomeError::BadReference {
                            id: r.id,
                            reference,
                            problem: "not in the Synome".into(),
                        })
                    }
                    (Some(k), Some(w)) if k != w => {
                        return Err(SynomeError::BadReference {
                            id: r.id,
                            reference,
                            problem: format!("a {k} record, not {w}"),
                        })
                    }
                    _ => {}
                }
            }
            let seq = tx.insert(row)?;
            heads.insert(c.author, r.id);
            batch_kinds.insert(r.id, c.kind);
            if matches!(c.kind, Kind::Genesis | Kind::RoleGrant | Kind::RoleRevoke) {
                auth.apply(c);
                auth_seq = seq;
            }
            out.push(Appended::Stored { seq });
        }
        tx.commit()?;
        self.auth = auth;
        self.auth_seq = auth_seq;
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
        Ok(self.store.author_head(author)?.unwrap_or(B256::ZERO))
    }

    /// Re-hashes every record, checks every signature, author chain, authorisation and
    /// reference, in storage order; stops at the first bad record.
    pub fn verify(&mut self) -> Result<VerifyReport, SynomeError> {
        let mut auth = AuthState::default();
        let mut heads: HashMap<Address, B256> = HashMap::new();
        let mut kinds: HashMap<B256, Kind> = HashMap::new();
        let mut checked = 0u64;
        let mut q = Query {
            limit: 10_000,
            ..Query::default()
        };
        loop {
            let page = self.store.list(&q)?;
            let mut decoded = Vec::with_capacity(page.rows.len());
            for row in &page.rows {
                match row.decode() {
                    Ok(r) => decoded.push(r),
                    Err(e) => return Ok(bad(checked, row, e.to_string())),
                }
            }
            let sealed = check_sealed_all(&decoded);
            for ((row, r), res) in page.rows.iter().zip(&decoded).zip(sealed) {
                if let Err(e) = res {
                    return Ok(bad(checked, row, e.to_string()));
                }
                // The stored payload text must be exactly the canonical form that was hashed.
                match crate::canonical::to_canonical(&r.content.payload) {
                    Ok(p) if p == row.payload => {}
                    _ => {
                        return Ok(bad(
                            checked,
                            row,
                            "payload text is not in canonical form".into(),
                        ))
                    }
                }
                let c = &r.content;
                if let Err(e) = auth.check(r.id, c) {
                    return Ok(bad(checked, row, e.to_string()));
                }
                let head = heads.get(&c.author).copied().unwrap_or(B256::ZERO);
                if c.prev != head {
                    return Ok(bad(
                        checked,
                        row,
                        SynomeError::BrokenChain {
                            id: r.id,
                            author: c.author,
                            head,
                            prev: c.prev,
                        }
                        .to_string(),
                    ));
                }
                if kinds.contains_key(&r.id) {
                    return Ok(bad(checked, row, "duplicate id".into()));
                }
                for (reference, want) in references(c) {
                    match (kinds.get(&reference), want) {
                        (None, _) => {
                            return Ok(bad(
                                checked,
                                row,
                                format!(
                                    "references {reference}, which is not earlier in the Synome"
                                ),
                            ))
                        }
                        (Some(k), Some(w)) if *k != w => {
                            return Ok(bad(
                                checked,
                                row,
                                format!("references {reference}, a {k} record, not {w}"),
                            ))
                        }
                        _ => {}
                    }
                }
                auth.apply(c);
                heads.insert(c.author, r.id);
                kinds.insert(r.id, c.kind);
                checked += 1;
            }
            match page.next {
                Some(n) => q.after = n,
                None => {
                    return Ok(VerifyReport {
                        records: checked,
                        first_bad: None,
                    })
                }
            }
        }
    }

    /// Writes every record as JSON lines (storage order) to `w`.
    pub fn export_jsonl(&mut self, w: &mut dyn std::io::Write) -> Result<u64, SynomeError> {
        self.export(|r| {
            let mut line = serde_json::to_string(&r.to_json()).unwrap_or_default();
            line.push('\n');
            w.write_all(line.as_bytes())
                .map_err(|e| SynomeError::Store(StoreError::Db(format!("write failed: {e}"))))
        })
    }

    /// Writes every record as CSV (header row first; payload as a canonical JSON column).
    pub fn export_csv(&mut self, w: &mut dyn std::io::Write) -> Result<u64, SynomeError> {
        let io = |e: csv::Error| SynomeError::Store(StoreError::Db(format!("write failed: {e}")));
        let mut cw = csv::Writer::from_writer(w);
        cw.write_record([
            "id",
            "kind",
            "schema_version",
            "epoch",
            "subject",
            "author",
            "role",
            "created_at",
            "provenance",
            "prev",
            "supersedes",
            "signature",
            "payload",
        ])
        .map_err(io)?;
        let n = self.export(|r| {
            let c = &r.content;
            cw.write_record([
                r.id.to_string(),
                c.kind.to_string(),
                c.schema_version.to_string(),
                c.epoch.map(|e| e.to_string()).unwrap_or_default(),
                c.subject.clone(),
                format!("{:#x}", c.author),
                c.role.to_string(),
                c.created_at.0.to_string(),
                c.provenance.to_string(),
                c.prev.to_string(),
                c.supersedes.map(|s| s.to_string()).unwrap_or_default(),
                r.signature.to_hex(),
                crate::canonical::to_canonical(&c.payload).unwrap_or_default(),
            ])
            .map_err(io)
        })?;
        cw.flush()
            .map_err(|e| SynomeError::Store(StoreError::Db(format!("write failed: {e}"))))?;
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

fn bad(checked: u64, row: &RawRow, reason: String) -> VerifyReport {
    VerifyReport {
        records: checked,
        first_bad: Some(BadRecord {
            seq: row.seq,
            id: row.id.clone(),
            reason,
        }),
    }
}

/// Builds and signs records for one author in one role, chaining `prev` locally so a batch can
/// be signed before it is appended.
pub struct Writer {
    pub signer: Signer,
    pub role: Role,
    prev: B256,
}

impl Writer {
    /// Starts from the author's current head in `synome`.
    pub fn new<S: Store>(
        synome: &mut Synome<S>,
        signer: Signer,
        role: Role,
    ) -> Result<Writer, SynomeError> {
        let prev = synome.head(signer.address())?;
        Ok(Writer { signer, role, prev })
    }

    /// Starts from a known head (e.g. zero for a new author).
    pub fn at(signer: Signer, role: Role, prev: B256) -> Writer {
        Writer { signer, role, prev }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        kind: Kind,
        epoch: Option<EpochId>,
        subject: &str,
        created_at: Timestamp,
        provenance: Provenance,
        payload: Value,
        supersedes: Option<B256>,
    ) -> Result<SignedRecord, SynomeError> {
        let mut v = self.record_batch(vec![(
            kind,
            epoch,
            subject.to_string(),
            created_at,
            provenance,
            payload,
            supersedes,
        )])?;
        v.pop().ok_or(SynomeError::Invalid {
            id: B256::ZERO,
            reason: "no record built".into(),
        })
    }

    /// Builds and signs many records at once: ids are chained in order, signatures are computed
    /// on all cores. `drafts` are `(kind, epoch, subject, created_at, provenance, payload,
    /// supersedes)`.
    #[allow(clippy::type_complexity)]
    pub fn record_batch(
        &mut self,
        drafts: Vec<(
            Kind,
            Option<EpochId>,
            String,
            Timestamp,
            Provenance,
            Value,
            Option<B256>,
        )>,
    ) -> Result<Vec<SignedRecord>, SynomeError> {
        let mut sealed = Vec::with_capacity(drafts.len());
        for (kind, epoch, subject, created_at, provenance, payload, supersedes) in drafts {
            let content = Content {
                kind,
                schema_version: kind.schema_version(),
                epoch,
                subject,
                author: self.signer.address(),
                role: self.role,
                created_at,
                provenance,
                payload,
                prev: self.prev,
                supersedes,
            };
            let id = content.id().map_err(|e| SynomeError::Invalid {
                id: B256::ZERO,
                reason: e.to_string(),
            })?;
            self.prev = id;
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

    /// Re-reads the head after a lost race.
    pub fn resync<S: Store>(&mut self, synome: &mut Synome<S>) -> Result<(), SynomeError> {
        self.prev = synome.head(self.signer.address())?;
        Ok(())
    }
}
