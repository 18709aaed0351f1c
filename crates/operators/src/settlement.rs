//! The settlement operator (SPEC §5.5; interim for `stl-base`): an epoch's statements, their
//! exact inputs file, the receipts of payments, the Generator-side payments and the penalties.
//!
//! Contract: every step reads the chain only through [`Chain`] (via [`ChainReader`]) and
//! governance only from the Synome, and derives whether it is already done from the chain and
//! the Synome — never from local state — so it can be stopped after any step (or between
//! submitting a payment and recording its receipt) and re-run without a duplicate or a loss:
//! - [`SettlementOperator::post_statements`] (at or after the lock): one signed statement per
//!   Prime. If one is already posted with the same input digest it is kept; a different digest
//!   is [`OpError::StatementMismatch`] (never a second statement). All of an epoch's statements
//!   are written in one all-or-nothing batch.
//! - [`SettlementOperator::inputs_file`]: the exact inputs file `laniakea settle` turns back into
//!   the same statements (same input digests).
//! - [`SettlementOperator::record_receipts`]: every payment seen on chain, matched oldest-open-
//!   first by the ledger, gets one receipt per obligation it settles, keyed by (tx, obligation).
//! - [`SettlementOperator::pay_generator_side`]: the Generator pays what it owes that is still
//!   open on the chain-derived book (so a payment already on chain is never sent twice), through
//!   the processing-window guard as a `settlement-payment`.
//! - [`SettlementOperator::record_penalties`] (at or after 16:00): one penalty event per
//!   penalty obligation the ledger crystallised (at each executed epoch's Moment of Settlement),
//!   plus one escalation record per new escalation state.
//!
//! Record times: a record's `created_at` is its natural instant (statements: the lock; receipts:
//! the payment; penalties: the end of the penalty interval), raised to the operator's latest
//! record so an author's chain never goes back in time. Statements and receipts are
//! `system-derived`.

use crate::book::{Book, BookError, PostedForgiveness, PostedStatement, Sources};
use crate::governance::{self, all_of, GovError, Params};
use crate::guard::{Action, Guard, Purpose};
use crate::reader::{ChainReader, Deployment, ReadError};
use alloy_primitives::{Address, B256};
use laniakea_chain::call::{ControllerCall, Key, RateLimitsCall};
use laniakea_chain::families::configurator::ConfiguratorCall;
use laniakea_chain::families::rate_limits::{RateLimitsAnswer, RateLimitsEvent, RateLimitsView};
use laniakea_chain::rate_limits::{address_key, limit_id, names};
use laniakea_chain::{Answer, Call, Chain, EventKind, Query, Tx};
use laniakea_settlement::calendar::Calendar;
use laniakea_settlement::distribution::{Asset, Tag, TierTable};
use laniakea_settlement::inputs::{EpochInputs, EpochResult};
use laniakea_settlement::ledger::{Escalation, Payer};
use laniakea_settlement::statement::{IdleLocation, PrimeInputs};
use laniakea_settlement::{BalanceHistory, Convention, Direction, EpochId, Provenance, Statement};
use laniakea_synome::record::payload;
use laniakea_synome::record::payload::TagAsset;
use laniakea_synome::{Draft, Kind, SignedRecord, Store, Synome, SynomeError, Writer};
use laniakea_units::{Timestamp, Wad};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum OpError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Governance(#[from] GovError),
    #[error(transparent)]
    Synome(#[from] SynomeError),
    #[error(transparent)]
    Book(#[from] BookError),
    #[error(transparent)]
    Submit(crate::guard::SubmitError),
    #[error("epoch {epoch}: {reason}")]
    Epoch { epoch: EpochId, reason: String },
    #[error("epoch {epoch}: the chain is at {now}, before {step} may run at {from}")]
    TooEarly {
        epoch: EpochId,
        step: &'static str,
        now: Timestamp,
        from: Timestamp,
    },
    #[error("statement of '{prime}' for {epoch} is already posted as record {record} with input digest {posted}, but the chain and Synome now give {now}: refusing to post a second statement")]
    StatementMismatch {
        prime: String,
        epoch: EpochId,
        record: B256,
        posted: B256,
        now: B256,
    },
    #[error("record {record}: {reason}")]
    BadRecord { record: B256, reason: String },
    #[error("restricting the vault draw limit of '{prime}' reverted: {code}")]
    RestrictionReverted { prime: String, code: String },
    #[error("the Generator's payment to '{prime}' reverted: {code}")]
    PaymentReverted { prime: String, code: String },
    #[error("chain: {0}")]
    Chain(String),
}

impl OpError {
    pub fn code(&self) -> &'static str {
        match self {
            OpError::Read(e) => e.code(),
            OpError::Governance(e) => e.code(),
            OpError::Synome(_) => "operator/synome",
            OpError::Book(_) => "operator/ledger",
            OpError::Submit(e) => e.code(),
            OpError::Epoch { .. } => "operator/epoch",
            OpError::TooEarly { .. } => "operator/too-early",
            OpError::StatementMismatch { .. } => "operator/statement-mismatch",
            OpError::BadRecord { .. } => "operator/bad-record",
            OpError::PaymentReverted { .. } => "operator/payment-reverted",
            OpError::RestrictionReverted { .. } => "operator/restriction-reverted",
            OpError::Chain(_) => "operator/chain",
        }
    }
}

/// How a late Prime's vault draw limit (`LIMIT_VAULT_DRAW⊕vault` on its RateLimits) is set to
/// 0 by its GovOps (SPEC §5.4), submitted through the guard as a `rate-limit-decrease`
/// (`emergency-removal`, allowed inside a Processing Window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// No Configurator scope manages the Prime PAUs: GovOps, holding ADMIN on the Prime's
    /// RateLimits, calls `setRateLimit(key, 0, 0)` on it.
    Admin { govops: Address },
    /// The Mainnet scope: an accordant GovOps lowers the key to zero through the scope's
    /// Configurator (`setRateLimit(pau, key, 0, 0)`; a lowering is instant).
    Configurator {
        configurator: Address,
        govops: Address,
    },
}

/// The operator's fixed configuration (from the deployment, not discovered).
#[derive(Debug, Clone)]
pub struct OperatorConfig {
    pub deployment_start: Timestamp,
    pub deployment: Deployment,
    /// The Generator's controller and the relayer key the operator submits with.
    pub generator_controller: Address,
    pub generator_relayer: Address,
    pub guard: Guard,
    /// How escalation restricts a late Prime's vault draw (`None`: records only).
    pub restriction: Option<Restriction>,
}

impl OperatorConfig {
    /// The configuration for a system built by `laniakea_chain::system`: its Generator
    /// controller and relayer (`gen_ctrl`, `gen_relayer`); restriction through the Mainnet
    /// scope's Configurator by `main_govops` when the system has scopes, else by `admin`.
    pub fn from_system(
        sys: &laniakea_chain::system::System,
        deployment_start: Timestamp,
        guard: Guard,
    ) -> OperatorConfig {
        let restriction = match (sys.get("main_cfg"), sys.get("main_govops")) {
            (Some(configurator), Some(govops)) => Restriction::Configurator {
                configurator,
                govops,
            },
            _ => Restriction::Admin {
                govops: sys.addr("admin"),
            },
        };
        OperatorConfig {
            deployment_start,
            deployment: Deployment::from_system(sys),
            generator_controller: sys.addr("gen_ctrl"),
            generator_relayer: sys.addr("gen_relayer"),
            guard,
            restriction: Some(restriction),
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// Records newly stored.
    pub written: usize,
    /// Records (or payments) found already done.
    pub already: usize,
}

pub struct SettlementOperator {
    pub config: OperatorConfig,
    pub writer: Writer,
    /// Writes guard refusals (the `govops` role: the operator role may not write incidents).
    pub govops: Writer,
    reader: ChainReader,
}

/// The executed epoch's calendar data the operator needs.
struct EpochCtx {
    calendar: Calendar,
    skips: Vec<EpochId>,
}

fn subject(prime: &str) -> String {
    format!("prime:{prime}")
}

impl SettlementOperator {
    pub fn new(config: OperatorConfig, writer: Writer, govops: Writer) -> Result<Self, OpError> {
        let reader = ChainReader::new(config.deployment.clone())?;
        Ok(SettlementOperator {
            config,
            writer,
            govops,
            reader,
        })
    }

    fn ctx<S: Store>(&self, syn: &mut Synome<S>) -> Result<EpochCtx, OpError> {
        let (calendar, skips) = governance::calendar(syn, self.config.deployment_start)?;
        Ok(EpochCtx { calendar, skips })
    }

    fn sync(&mut self, chain: &dyn Chain) -> Result<(), OpError> {
        self.reader.sync(chain)?;
        self.reader.verify(chain)?;
        Ok(())
    }

    /// The parameters in force for `epoch`'s statement (at its lock).
    pub fn params<S: Store>(&self, syn: &mut Synome<S>, epoch: EpochId) -> Result<Params, OpError> {
        Ok(governance::params_at(syn, epoch.lock())?)
    }

    /// Every Prime's statement inputs for an executed epoch whose lock has passed.
    pub fn build_inputs<S: Store>(
        &mut self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<EpochInputs, OpError> {
        let now = chain.now();
        if now < epoch.lock() {
            return Err(OpError::TooEarly {
                epoch,
                step: "compute",
                now,
                from: epoch.lock(),
            });
        }
        self.sync(chain)?;
        let ctx = self.ctx(syn)?;
        let bad = |e: laniakea_settlement::CalendarError| OpError::Epoch {
            epoch,
            reason: e.to_string(),
        };
        let info = ctx.calendar.info(epoch).map_err(bad)?;
        let window = ctx.calendar.window(epoch).map_err(bad)?;
        let params = self.params(syn, epoch)?;
        let posting = self.posting_instant(syn, epoch)?;
        let books = self.books_before(chain, syn, posting, Some(epoch))?;
        let mut reports = governance::reports(syn, epoch, window)?;
        let mut tags = Vec::new();
        for t in &reports.tags {
            let susds = t.tag.asset == TagAsset::Susds;
            tags.push(Tag {
                address: t.tag.address,
                asset: if susds { Asset::Susds } else { Asset::Usds },
                tier: t.tag.tier,
                prime: t.tag.prime.clone(),
                tagged_from: t.tagged_from,
                balance: self.reader.holding(chain, susds, t.tag.address, window)?,
            });
        }
        let mut primes = Vec::new();
        for p in &self.config.deployment.primes {
            let h = self.reader.window(chain, &p.prime, window)?;
            let (osrc_alloc, osrc_rate) = params
                .osrc
                .get(&p.prime)
                .copied()
                .unwrap_or((Wad::ZERO, laniakea_units::Apr::ZERO));
            primes.push(PrimeInputs {
                prime: p.prime.clone(),
                provenance: Provenance::SystemDerived,
                debt_legacy: h.debt_legacy,
                debt_vault: h.debt_vault,
                idle_usds: std::iter::once(IdleLocation {
                    location: "alm-proxy".into(),
                    balance: h.idle_usds,
                })
                .chain(reports.idle.remove(&p.prime).unwrap_or_default())
                .collect(),
                idle_susds_value: h.idle_susds_value,
                sky_direct: reports.sky_direct.remove(&p.prime).unwrap_or_default(),
                osrc_allocation: BalanceHistory::constant(osrc_alloc.raw()),
                osrc_rate_apr: osrc_rate,
                carried_penalties: books
                    .get(&p.prime)
                    .map(|b| b.carried_into())
                    .unwrap_or_default(),
            });
        }
        let _ = &ctx.skips;
        Ok(EpochInputs {
            calendar: ctx.calendar,
            epoch: info,
            window,
            convention: Convention::default(),
            rates: params.rates,
            tiers: TierTable(params.tiers_bps),
            primes,
            tags,
        })
    }

    /// The inputs file (`docs/settlement-inputs.md`) of an epoch: exactly what
    /// [`Self::build_inputs`] computed from, so `laniakea settle` reproduces every statement.
    pub fn inputs_file<S: Store>(
        &mut self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Value, OpError> {
        let inputs = self.build_inputs(chain, syn, epoch)?;
        let skips: Vec<EpochId> = self
            .ctx(syn)?
            .skips
            .into_iter()
            .filter(|s| *s <= epoch)
            .collect();
        Ok(export(&inputs, &skips))
    }

    fn latest_time<S: Store>(&self, syn: &mut Synome<S>) -> Result<Timestamp, OpError> {
        let head = syn.head(self.writer.signer.address())?;
        if head == B256::ZERO {
            return Ok(Timestamp(0));
        }
        Ok(syn
            .get(head)?
            .map_or(Timestamp(0), |r| r.content.created_at))
    }

    fn posted_statements<S: Store>(
        &self,
        syn: &mut Synome<S>,
        epoch: Option<EpochId>,
    ) -> Result<Vec<SignedRecord>, OpError> {
        let me = self.writer.signer.address();
        Ok(all_of(syn, Kind::SettlementStatement, epoch)?
            .into_iter()
            .filter(|r| r.content.author == me)
            .collect())
    }

    /// Computes and posts every Prime's statement of `epoch` (idempotent).
    pub fn post_statements<S: Store>(
        &mut self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<(EpochResult, StepOutcome), OpError> {
        let inputs = self.build_inputs(chain, syn, epoch)?;
        let result = inputs.compute().map_err(|e| OpError::Epoch {
            epoch,
            reason: e.to_string(),
        })?;
        let posted: BTreeMap<String, SignedRecord> = self
            .posted_statements(syn, Some(epoch))?
            .into_iter()
            .map(|r| (r.content.subject.clone(), r))
            .collect();
        let at = self.posting_instant(syn, epoch)?;
        let mut drafts = Vec::new();
        let mut out = StepOutcome::default();
        for s in &result.statements {
            if let Some(r) = posted.get(&subject(&s.prime)) {
                let p: payload::SettlementStatement =
                    serde_json::from_value(r.content.payload.clone()).map_err(|e| {
                        OpError::BadRecord {
                            record: r.id,
                            reason: e.to_string(),
                        }
                    })?;
                if p.input_digest != s.input_digest {
                    return Err(OpError::StatementMismatch {
                        prime: s.prime.clone(),
                        epoch,
                        record: r.id,
                        posted: p.input_digest,
                        now: s.input_digest,
                    });
                }
                out.already += 1;
                continue;
            }
            drafts.push(statement_draft(s, at));
            // The Prime's distributions go in the same all-or-nothing batch as its statement.
            for l in result
                .distributions
                .iter()
                .filter(|l| l.prime == s.prime && l.eligible && !l.reward_wad.is_zero())
            {
                drafts.push(
                    Draft::new(
                        Kind::Distribution,
                        &subject(&l.prime),
                        at,
                        laniakea_synome::Provenance::SystemDerived,
                        json!({"prime": l.prime, "address": l.address, "tier": l.tier, "reward_wad": l.reward_wad}),
                    )
                    .epoch(epoch),
                );
            }
        }
        if !drafts.is_empty() {
            out.written += drafts
                .iter()
                .filter(|d| d.kind == Kind::SettlementStatement)
                .count();
            syn.write(&self.writer, drafts)?;
        }
        Ok((result, out))
    }

    /// Every Prime's book as of `as_of`, rebuilt from the chain and the Synome.
    pub fn books<S: Store>(
        &mut self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        as_of: Timestamp,
    ) -> Result<BTreeMap<String, Book>, OpError> {
        self.books_before(chain, syn, as_of, None)
    }

    /// The instant `epoch`'s statements are (or will be) posted at: the stored statements'
    /// time, else the lock raised to the operator's latest record.
    fn posting_instant<S: Store>(
        &self,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<Timestamp, OpError> {
        if let Some(r) = self.posted_statements(syn, Some(epoch))?.first() {
            return Ok(r.content.created_at);
        }
        Ok(self.latest_time(syn)?.max(epoch.lock()))
    }

    /// Books without the statements of `before` and later epochs (what a statement of
    /// `before` carries is computed from them).
    fn books_before<S: Store>(
        &mut self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
        as_of: Timestamp,
        before: Option<EpochId>,
    ) -> Result<BTreeMap<String, Book>, OpError> {
        self.sync(chain)?;
        let ctx = self.ctx(syn)?;
        let params = governance::params_at(syn, as_of)?;
        let mut statements: BTreeMap<String, Vec<PostedStatement>> = BTreeMap::new();
        for r in self.posted_statements(syn, None)? {
            if before.is_some_and(|b| r.content.epoch.is_some_and(|e| e >= b)) {
                continue;
            }
            let p: payload::SettlementStatement = serde_json::from_value(r.content.payload.clone())
                .map_err(|e| OpError::BadRecord {
                    record: r.id,
                    reason: e.to_string(),
                })?;
            let amount: Wad = serde_json::from_value(p.statement["amount_due_wad"].clone())
                .map_err(|e| OpError::BadRecord {
                    record: r.id,
                    reason: format!("statement.amount_due_wad: {e}"),
                })?;
            let epoch = r.content.epoch.ok_or(OpError::BadRecord {
                record: r.id,
                reason: "a statement names its epoch".into(),
            })?;
            let carried = p.statement["carried_penalties"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|c| {
                            let id = c["penalty_id"]
                                .as_str()
                                .and_then(|r| Book::parse_penalty_ref(&p.prime, r));
                            let amount =
                                serde_json::from_value::<Wad>(c["amount_wad"].clone()).ok();
                            id.zip(amount).ok_or_else(|| OpError::BadRecord {
                                record: r.id,
                                reason: format!("carried penalty {c}"),
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default();
            let payer = match p.direction.as_str() {
                "generator-pays-prime" => Payer::Generator,
                _ => Payer::Prime,
            };
            statements
                .entry(p.prime)
                .or_default()
                .push(PostedStatement {
                    epoch,
                    posted_at: r.content.created_at,
                    payer,
                    amount_wad: amount,
                    carried,
                });
        }
        // Forgiveness names a penalty event record; the event names the penalty obligation.
        let penalty_events: BTreeMap<B256, (String, String)> =
            all_of(syn, Kind::PenaltyEvent, None)?
                .into_iter()
                .filter_map(|r| {
                    let p: payload::PenaltyEvent =
                        serde_json::from_value(r.content.payload.clone()).ok()?;
                    Some((r.id, (p.prime, p.obligation)))
                })
                .collect();
        let mut forgiveness: BTreeMap<String, Vec<PostedForgiveness>> = BTreeMap::new();
        for r in all_of(syn, Kind::Forgiveness, None)? {
            let f: payload::Forgiveness = serde_json::from_value(r.content.payload.clone())
                .map_err(|e| OpError::BadRecord {
                    record: r.id,
                    reason: e.to_string(),
                })?;
            let (prime, obligation) =
                penalty_events
                    .get(&f.penalty)
                    .cloned()
                    .ok_or_else(|| OpError::BadRecord {
                        record: r.id,
                        reason: format!(
                            "forgiveness names {}, which is not a penalty event",
                            f.penalty
                        ),
                    })?;
            let id =
                Book::parse_penalty_ref(&prime, &obligation).ok_or_else(|| OpError::BadRecord {
                    record: r.id,
                    reason: format!("penalty obligation reference '{obligation}'"),
                })?;
            forgiveness
                .entry(prime)
                .or_default()
                .push(PostedForgiveness {
                    record: r.id,
                    at: r.content.created_at,
                    penalty: id,
                    amount_wad: f.amount_wad,
                    rationale: f.rationale,
                });
        }
        let mut books = BTreeMap::new();
        for p in &self.config.deployment.primes {
            let b = Book::rebuild(
                &p.prime,
                params.penalty_rate_per_hour_wad,
                params.thresholds,
                &ctx.calendar,
                Sources {
                    statements: statements.get(&p.prime).map_or(&[][..], |v| v),
                    payments: self.reader.payments(),
                    forgiveness: forgiveness.get(&p.prime).map_or(&[][..], |v| v),
                    posting: before.map(|_| as_of),
                },
                as_of,
            )?;
            books.insert(p.prime.clone(), b);
        }
        Ok(books)
    }

    /// One receipt per (payment, obligation settled) not yet recorded (idempotent).
    pub fn record_receipts<S: Store>(
        &mut self,
        chain: &dyn Chain,
        syn: &mut Synome<S>,
    ) -> Result<StepOutcome, OpError> {
        let now = chain.now();
        let books = self.books(chain, syn, now)?;
        let done: BTreeSet<(String, String)> = all_of(syn, Kind::PaymentReceipt, None)?
            .into_iter()
            .filter_map(|r| {
                let p: payload::PaymentReceipt = serde_json::from_value(r.content.payload).ok()?;
                Some((p.tx, p.obligation))
            })
            .collect();
        let mut latest = self.latest_time(syn)?;
        let mut drafts = Vec::new();
        let mut out = StepOutcome::default();
        let mut pending: Vec<(u64, Draft)> = Vec::new();
        for b in books.values() {
            for a in &b.applied {
                for (id, amount) in &a.parts {
                    let obligation = b.obligation_ref(*id);
                    let tx = a.payment.log_ref();
                    if done.contains(&(tx.clone(), obligation.clone())) {
                        out.already += 1;
                        continue;
                    }
                    let epoch = b.ledger.obligation(*id).map(|o| o.epoch).map_err(|e| {
                        OpError::Book(BookError {
                            prime: b.prime.clone(),
                            what: "receipt".into(),
                            source: e,
                        })
                    })?;
                    let payer = match a.payment.payer {
                        Payer::Prime => "prime",
                        Payer::Generator => "generator",
                    };
                    let d = Draft::new(
                        Kind::PaymentReceipt,
                        &subject(&b.prime),
                        a.payment.at,
                        laniakea_synome::Provenance::SystemDerived,
                        json!({
                            "prime": b.prime, "payer": payer, "tx": tx, "amount_wad": amount,
                            "paid_at": a.payment.at, "obligation": obligation,
                        }),
                    )
                    .epoch(epoch);
                    pending.push((a.payment.seq, d));
                }
            }
        }
        // In log order, so receipt times never go backwards.
        pending.sort_by_key(|(seq, _)| *seq);
        for (_, mut d) in pending {
            latest = latest.max(d.created_at);
            d.created_at = latest;
            drafts.push(d);
        }
        if !drafts.is_empty() {
            out.written = drafts.len();
            syn.write(&self.writer, drafts)?;
        }
        Ok(out)
    }

    /// Penalty events (one per crystallised penalty obligation) and escalation records, as of
    /// the chain's time (idempotent).
    pub fn record_penalties<S: Store>(
        &mut self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
    ) -> Result<StepOutcome, OpError> {
        let now = chain.now();
        let books = self.books(&*chain, syn, now)?;
        let done: BTreeSet<String> = all_of(syn, Kind::PenaltyEvent, None)?
            .into_iter()
            .filter_map(|r| {
                serde_json::from_value::<payload::PenaltyEvent>(r.content.payload)
                    .ok()
                    .map(|p| p.obligation)
            })
            .collect();
        let escalated: BTreeSet<(String, String, String)> = all_of(syn, Kind::Escalation, None)?
            .into_iter()
            .filter_map(|r| {
                serde_json::from_value::<payload::Escalation>(r.content.payload)
                    .ok()
                    .map(|p| (p.prime, p.state, p.obligation))
            })
            .collect();
        let mut latest = self.latest_time(syn)?;
        let mut pending: Vec<(Timestamp, Draft)> = Vec::new();
        let mut out = StepOutcome::default();
        for b in books.values() {
            for o in b.penalties() {
                let r = b.penalty_ref(o.id);
                if done.contains(&r) {
                    out.already += 1;
                    continue;
                }
                let (from, to) = (o.from, o.to);
                pending.push((
                    to,
                    Draft::new(
                        Kind::PenaltyEvent,
                        &subject(&b.prime),
                        to,
                        laniakea_synome::Provenance::SystemDerived,
                        json!({"prime": b.prime, "obligation": r, "amount_wad": o.amount_wad, "from": from, "to": to, "payer": o.payer}),
                    )
                    .epoch(EpochId::date_of(to).map_err(|e| OpError::Chain(e.to_string()))?),
                ));
            }
            // Escalation (SPEC §5.4): > restrict_after → `restricted` (the vault draw limit set
            // to 0 on chain first, then the record); > review_after → also `governance-review`.
            let (obligation, late_s, review) = match b.escalation(now) {
                Escalation::Current | Escalation::Late { .. } => continue,
                Escalation::Restricted { obligation, late_s } => (obligation, late_s, false),
                Escalation::GovernanceReview { obligation, late_s } => (obligation, late_s, true),
            };
            let r = b.obligation_ref(obligation);
            let epoch = b.ledger.obligation(obligation).map(|o| o.epoch).ok();
            let states: &[&str] = if review {
                &["restricted", "governance-review"]
            } else {
                &["restricted"]
            };
            for state in states {
                if escalated.contains(&(b.prime.clone(), state.to_string(), r.clone())) {
                    out.already += 1;
                    continue;
                }
                let mut body =
                    json!({"prime": b.prime, "state": state, "obligation": r, "late_s": late_s});
                if *state == "restricted" {
                    let prime_pays = b
                        .ledger
                        .obligation(obligation)
                        .is_ok_and(|o| o.payer == Payer::Prime);
                    body["restriction"] = json!(if prime_pays {
                        self.restrict(chain, syn, &b.prime, now)?
                    } else {
                        "none: the Generator is the payer".to_string()
                    });
                }
                let mut d = Draft::new(
                    Kind::Escalation,
                    &subject(&b.prime),
                    now,
                    laniakea_synome::Provenance::SystemDerived,
                    body,
                );
                if let Some(e) = epoch {
                    d = d.epoch(e);
                }
                pending.push((now, d));
            }
        }
        pending.sort_by_key(|(t, _)| *t);
        let mut drafts = Vec::new();
        for (_, mut d) in pending {
            latest = latest.max(d.created_at);
            d.created_at = latest;
            drafts.push(d);
        }
        if !drafts.is_empty() {
            out.written = drafts.len();
            syn.write(&self.writer, drafts)?;
        }
        Ok(out)
    }

    /// Sets the Prime's vault draw limit to 0 (idempotent: a limit already (0, 0) on chain is
    /// not set again); returns the reference of the change in the log (`tx:<i>/log:<seq>`), or
    /// why there is none.
    fn restrict<S: Store>(
        &mut self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
        prime: &str,
        now: Timestamp,
    ) -> Result<String, OpError> {
        let Some(p) = self
            .config
            .deployment
            .primes
            .iter()
            .find(|p| p.prime == prime)
            .cloned()
        else {
            return Err(OpError::Read(ReadError::UnknownPrime(prime.to_string())));
        };
        let Some(vault) = p.prime_vault else {
            return Ok("none: the Prime has no vault".into());
        };
        let Some(via) = self.config.restriction else {
            return Ok("none: no restriction path configured".into());
        };
        let key = address_key(limit_id(names::VAULT_DRAW), vault);
        let current = chain
            .view(
                p.rate_limits,
                &Query::RateLimits(RateLimitsView::RateLimitData { key: Key(key) }),
            )
            .map_err(|e| OpError::Chain(format!("{}: {e}", e.code())))?;
        let zero = matches!(
            current,
            Answer::RateLimits(RateLimitsAnswer::Data { max_amount, slope, .. })
                if max_amount.is_zero() && slope.is_zero()
        );
        if !zero {
            let (from, call) = match via {
                Restriction::Admin { govops } => (
                    govops,
                    Call::RateLimits(
                        p.rate_limits,
                        RateLimitsCall::SetMaxSlope {
                            key: Key(key),
                            max_amount: Wad::ZERO,
                            slope: Wad::ZERO,
                        },
                    ),
                ),
                Restriction::Configurator {
                    configurator,
                    govops,
                } => (
                    govops,
                    Call::Configurator(
                        configurator,
                        ConfiguratorCall::SetRateLimit {
                            pau: p.alm_proxy,
                            key: Key(key),
                            max_amount: Wad::ZERO,
                            slope: Wad::ZERO,
                        },
                    ),
                ),
            };
            let action = Action {
                tx: Tx {
                    from,
                    at: now,
                    call,
                },
                purpose: Purpose::RateLimitDecrease,
            };
            let r = crate::guard::submit(&self.config.guard, chain, syn, &self.govops, action)
                .map_err(OpError::Submit)?;
            if let Err(rev) = r.outcome {
                return Err(OpError::RestrictionReverted {
                    prime: prime.to_string(),
                    code: rev.code().to_string(),
                });
            }
        }
        // The last change of the key to (0, 0) in the log: the same reference whether this run
        // submitted it or an earlier, interrupted one did.
        let found = chain
            .events_since(0)
            .into_iter()
            .rev()
            .find(|e| {
                e.contract == p.rate_limits
                    && matches!(&e.kind, EventKind::RateLimits(RateLimitsEvent::RateLimitDataSet {
                        key: k, max_amount_wad, slope_wad_per_s, ..
                    }) if *k == key && max_amount_wad.is_zero() && slope_wad_per_s.is_zero())
            })
            .map(|e| crate::refs::log_ref(e.tx_index, e.seq));
        Ok(found.unwrap_or_else(|| "none: the draw limit was already 0".into()))
    }

    /// Submits the Generator's open obligations due by `epoch` (idempotent: what the chain
    /// already shows paid is not sent again). Each payment passes the guard.
    pub fn pay_generator_side<S: Store>(
        &mut self,
        chain: &mut dyn Chain,
        syn: &mut Synome<S>,
        epoch: EpochId,
    ) -> Result<StepOutcome, OpError> {
        let now = chain.now();
        let books = self.books(chain, syn, now)?;
        let usds = self.config.deployment.usds;
        let mut out = StepOutcome::default();
        for p in &self.config.deployment.primes {
            let open = books[&p.prime].open_wad(Payer::Generator, epoch.moment());
            if open.is_zero() {
                out.already += 1;
                continue;
            }
            let action = Action {
                tx: Tx {
                    from: self.config.generator_relayer,
                    at: now,
                    call: Call::Controller(
                        self.config.generator_controller,
                        ControllerCall::TransferAsset {
                            asset: usds,
                            to: p.alm_proxy,
                            amount: open,
                        },
                    ),
                },
                purpose: Purpose::SettlementPayment,
            };
            let r = crate::guard::submit(&self.config.guard, chain, syn, &self.govops, action)
                .map_err(OpError::Submit)?;
            if let Err(rev) = r.outcome {
                return Err(OpError::PaymentReverted {
                    prime: p.prime.clone(),
                    code: rev.code().to_string(),
                });
            }
            out.written += 1;
        }
        Ok(out)
    }
}

fn statement_draft(s: &Statement, at: Timestamp) -> Draft {
    Draft::new(
        Kind::SettlementStatement,
        &subject(&s.prime),
        at,
        laniakea_synome::Provenance::SystemDerived,
        json!({
            "prime": s.prime,
            "total_wad": s.total_wad.to_string(),
            "direction": serde_json::to_value(s.direction).unwrap_or(Value::Null),
            "input_digest": s.input_digest,
            "statement": serde_json::to_value(s).unwrap_or(Value::Null),
        }),
    )
    .epoch(s.epoch)
}

/// Whether a statement's direction is the Generator paying.
pub fn generator_pays(s: &Statement) -> bool {
    s.direction == Direction::GeneratorPaysPrime
}

fn history_json(h: &BalanceHistory) -> Value {
    json!({
        "initial": Wad::from_raw(h.initial),
        "changes": h.changes().iter().map(|(t, v)| json!({"at": t.0, "balance": Wad::from_raw(*v)})).collect::<Vec<_>>(),
    })
}

/// An inputs file (`docs/settlement-inputs.md`) for `inputs`; `skips` are the skipped epochs
/// up to the computed one (later ones change nothing).
pub fn export(inputs: &EpochInputs, skips: &[EpochId]) -> Value {
    let primes: Vec<Value> = inputs
        .primes
        .iter()
        .map(|p| {
            json!({
                "prime": p.prime,
                "provenance": serde_json::to_value(p.provenance).unwrap_or(Value::Null),
                "debt_legacy": history_json(&p.debt_legacy),
                "debt_vault": history_json(&p.debt_vault),
                "idle_usds": p.idle_usds.iter().map(|l| json!({"location": l.location, "balance": history_json(&l.balance)})).collect::<Vec<_>>(),
                "idle_susds_value": history_json(&p.idle_susds_value),
                "sky_direct": p.sky_direct.iter().map(|a| json!({"allocation": a.allocation, "exposure": history_json(&a.exposure), "actual_profit": a.actual_profit})).collect::<Vec<_>>(),
                "osrc_allocation": history_json(&p.osrc_allocation),
                "osrc_rate_apr": p.osrc_rate_apr,
                "carried_penalties": p.carried_penalties.iter().map(|c| {
                    let mut line = json!({"penalty_id": c.penalty_id, "amount": c.amount_wad});
                    if !c.owed_by.is_prime() {
                        line["owed_by"] = json!(c.owed_by);
                    }
                    line
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "deployment_start": inputs.calendar.start().0,
        "skips": skips.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "epoch": inputs.epoch.id.to_string(),
        "convention": serde_json::to_value(inputs.convention).unwrap_or(Value::Null),
        "rates": {"base_rate_apr": inputs.rates.base_rate_apr, "ssr_apr": inputs.rates.ssr_apr},
        "tiers_bps": inputs.tiers.0,
        "primes": primes,
        "tags": inputs.tags.iter().map(|t| json!({
            "address": t.address,
            "asset": serde_json::to_value(t.asset).unwrap_or(Value::Null),
            "tier": t.tier,
            "prime": t.prime,
            "tagged_from": t.tagged_from.to_string(),
            "balance": history_json(&t.balance),
        })).collect::<Vec<_>>(),
    })
}
