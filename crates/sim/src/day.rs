//! The day loop: each day's plan ([`crate::plan`]) executed against the chain and the Synome.
//!
//! Contract: [`run`] sets up the Synome (genesis, role grants, the initial parameter set; all
//! idempotent), then for each day executes its steps in time order: the clock is moved to each
//! step's instant, actor and governance transactions pass the processing-window guard (a
//! refusal is recorded, never submitted) and are submitted with their tag (skipped when the
//! chain already has the tag, i.e. on resume), operator steps are the operators' own idempotent
//! calls, governance artifacts are signed Synome records (idempotent by fact). An operator
//! error stops the run with [`SimError::Operator`] naming the step and the epoch. A revert of an
//! actor's transaction is a result (counted by code in the summary), not an error.
//! Never: reads the wall clock; uses a random source other than [`crate::plan::rng`].

use crate::plan::{self, Act, Calendar};
use crate::scenario::{LimitName, ParameterChange, Scenario, BPS};
use crate::summary::{self, Summary};
use crate::world::AddressBook;
use crate::{SimChain, SimError};
use alloy_primitives::{Address, B256};
use laniakea_chain::call::{AccessCall, ControllerCall, Erc20Call, Key, Role as ChainRole};
use laniakea_chain::families::configurator::ConfiguratorCall;
use laniakea_chain::families::generator::{
    GeneratorAnswer, GeneratorCall, GeneratorView, MigrationPlan,
};
use laniakea_chain::families::lcts_queue::{LctsQueueAnswer, LctsQueueCall, LctsQueueView};
use laniakea_chain::families::prime_vault::{
    PrimeVaultAnswer, PrimeVaultCall, PrimeVaultView, VaultPosition,
};
use laniakea_chain::families::rate_limits::{
    address_key, address_pair_key, limit_id, names, RateLimitsAnswer, RateLimitsCall,
    RateLimitsView,
};
use laniakea_chain::families::token::{TokenAnswer, TokenView};
use laniakea_chain::{Answer, Call, Chain, Query, Receipt, Tx};
use laniakea_operators::checker::Checker;
use laniakea_operators::guard::refusal_draft;
use laniakea_operators::lcts::{LctsBeacon, LctsConfig};
use laniakea_operators::reader::{Deployment, PrimeAccounts};
use laniakea_operators::report::Reporter;
use laniakea_operators::settlement::{OpError, OperatorConfig, SettlementOperator};
use laniakea_operators::{Action, Guard, Purpose};
use laniakea_settlement::ledger::Payer;
use laniakea_synome::record::payload;
use laniakea_synome::{
    Draft, Kind, Provenance, Query as SQuery, Role, SignedRecord, Signer, Store, Synome, Writer,
};
use laniakea_units::{EpochId, Timestamp, Wad, U256};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The run's arguments besides the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    pub days: u32,
    pub seed: u64,
}

/// What the loop reports after each day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayDone {
    pub epoch: EpochId,
    /// 0-based day number of the run
    pub index: u32,
    pub days: u32,
    /// settled on its own day (not skipped, not missed)
    pub settled: bool,
}

/// The signing keys of a run: public DEMO keys (`Signer::demo`), one per role.
#[derive(Clone)]
pub struct Keys {
    pub council: Writer,
    pub operator: Writer,
    pub govops: Writer,
    pub checker: Writer,
    pub reporter: Writer,
    pub lcts: Writer,
}

impl Keys {
    pub fn demo() -> Keys {
        let w = |label: &str, role: Role| Writer::new(Signer::demo(label), role);
        Keys {
            council: w("core-council", Role::CoreCouncil),
            operator: w("settlement-operator", Role::Operator),
            govops: w("govops", Role::GovOps),
            checker: w("lpla-checker", Role::Checker),
            reporter: w("lpha-report", Role::Reporter),
            lcts: w("lpha-lcts", Role::LphaLcts),
        }
    }
}

/// What this process saw happen (not derivable after a resume: shown as such).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// outcome code (`ok` or the revert code) → count, per action kind
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
    pub refused: u64,
    pub skipped_on_resume: u64,
}

/// The operators of a run, built from the address book.
pub struct Operators {
    pub settlement: SettlementOperator,
    pub checker: Checker,
    pub reporter: Reporter,
    /// lpha-lcts, when the scenario has srUSDS users
    pub lcts: Option<LctsBeacon>,
    pub guard: Guard,
}

/// The operators' view of the deployment.
pub fn deployment(s: &Scenario, book: &AddressBook) -> Deployment {
    Deployment {
        vat: book.a("vat"),
        usds: book.a("usds"),
        susds: book.a("susds"),
        generator_proxy: book.a("gen_proxy"),
        primes: s
            .primes
            .iter()
            .map(|p| PrimeAccounts {
                prime: p.name.clone(),
                legacy_ilk: p
                    .legacy
                    .ilk
                    .clone()
                    .unwrap_or_else(|| format!("ALLOCATOR-{}-A", p.name.to_ascii_uppercase())),
                alm_proxy: book.a(&format!("{}_proxy", p.name)),
                rate_limits: book.a(&format!("{}_rl", p.name)),
            })
            .collect(),
    }
}

fn op_err(step: &'static str, epoch: EpochId, e: OpError) -> SimError {
    SimError::Operator {
        step,
        epoch: epoch.to_string(),
        code: e.code(),
        message: e.to_string(),
    }
}

impl Operators {
    pub fn new(s: &Scenario, book: &AddressBook, keys: &Keys) -> Result<Operators, SimError> {
        let guard = Guard {
            reallocation_threshold_wad: Wad::from_raw(U256::from(10u64).pow(U256::from(26u8))),
        };
        let dep = deployment(s, book);
        let start = crate::world::genesis_time(s);
        let settlement = SettlementOperator::new(
            OperatorConfig {
                deployment_start: start,
                deployment: dep.clone(),
                generator_controller: book.a("gen_ctrl"),
                generator_relayer: book.a("gen_relayer"),
                guard: guard.clone(),
            },
            keys.operator.clone(),
            keys.govops.clone(),
        )
        .map_err(|e| op_err("operator", s.start, e))?;
        Ok(Operators {
            settlement,
            checker: Checker {
                deployment_start: start,
                deployment: dep.clone(),
                writer: keys.checker.clone(),
            },
            reporter: Reporter {
                deployment: dep,
                writer: keys.reporter.clone(),
            },
            lcts: s.lcts.as_ref().map(|_| {
                LctsBeacon::new(
                    LctsConfig {
                        deployment_start: start,
                        holding: book.a("hs"),
                        beacon: book.a("lpha_lcts"),
                        guard: guard.clone(),
                    },
                    keys.lcts.clone(),
                    keys.govops.clone(),
                )
            }),
            guard,
        })
    }
}

fn parameter_payload(effective: EpochId, c: &ParameterChange) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("effective_epoch".into(), json!(effective));
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    put("base_rate_apr", c.base_rate_apr.map(|x| json!(x)));
    put("ssr_apr", c.ssr_apr.map(|x| json!(x)));
    put(
        "penalty_rate_per_hour_wad",
        c.penalty_rate_per_hour_wad.map(|x| json!(x)),
    );
    put("tiers_bps", c.tiers_bps.map(|x| json!(x)));
    put("srusds_premium_apr", c.srusds_premium_apr.map(|x| json!(x)));
    put(
        "generator_buffer_min_wad",
        c.generator_buffer_min.map(|x| json!(x)),
    );
    if !c.osrc.is_empty() {
        m.insert(
            "osrc".into(),
            json!(c
                .osrc
                .iter()
                .map(|o| json!({"prime": o.prime, "allocation_wad": o.allocation, "rate_apr": o.rate_apr}))
                .collect::<Vec<_>>()),
        );
    }
    Value::Object(m)
}

/// Genesis, role grants and the initial parameter set (idempotent).
pub fn init_synome<S: Store>(
    s: &Scenario,
    keys: &Keys,
    syn: &mut Synome<S>,
) -> Result<(), SimError> {
    let t0 = Timestamp(crate::world::genesis_time(s).0.saturating_sub(3 * 86_400));
    let gov = Provenance::GovernanceDirected;
    if syn.auth()?.synome.is_none() {
        let mut drafts = vec![Draft::new(
            Kind::Genesis,
            "global",
            t0,
            gov,
            json!({"core_council": keys.council.signer.address(), "deployment": format!("laniakea run: scenario '{}'", s.name), "demo_key": "core-council"}),
        )];
        for (role, w) in [
            ("operator", &keys.operator),
            ("govops", &keys.govops),
            ("checker", &keys.checker),
            ("reporter", &keys.reporter),
            ("lpha-lcts", &keys.lcts),
        ] {
            drafts.push(Draft::new(
                Kind::RoleGrant,
                "global",
                t0,
                gov,
                json!({"role": role, "address": w.signer.address(), "demo_key": w.signer.label()}),
            ));
        }
        syn.write(&keys.council, drafts)?;
    }
    let g = &s.governance;
    let first = ParameterChange {
        epoch: s.start,
        base_rate_apr: Some(g.base_rate_apr),
        ssr_apr: Some(g.ssr_apr),
        penalty_rate_per_hour_wad: Some(g.penalty_rate_per_hour_wad),
        tiers_bps: g.tiers_bps,
        osrc: g.osrc.clone(),
        srusds_premium_apr: g.srusds_premium_apr,
        generator_buffer_min: s.generator.buffer_min,
    };
    let t1 = Timestamp(t0.0 + 86_400);
    let effective = EpochId::date_of(t1).map_err(|e| SimError::Setup(e.to_string()))?;
    let mut p = parameter_payload(effective, &first);
    if let Some(x) = g.restrict_after_s {
        p["restrict_after_s"] = json!(x);
    }
    if let Some(x) = g.review_after_s {
        p["review_after_s"] = json!(x);
    }
    syn.write(
        &keys.council,
        vec![Draft::new(Kind::ParameterSet, "global", t1, gov, p)],
    )?;
    Ok(())
}

// ---- chain reads ---------------------------------------------------------------------------

fn usds_of(c: &dyn Chain, book: &AddressBook, who: Address) -> Wad {
    token_of(c, book.a("usds"), who)
}

fn token_of(c: &dyn Chain, token: Address, who: Address) -> Wad {
    match c.view(token, &Query::Erc20(TokenView::BalanceOf { account: who })) {
        Ok(Answer::Erc20(TokenAnswer::Balance { balance })) => balance,
        _ => Wad::ZERO,
    }
}

fn current_limit(c: &dyn Chain, rl: Address, key: B256) -> Wad {
    match c.view(
        rl,
        &Query::RateLimits(RateLimitsView::CurrentRateLimit { key: Key(key) }),
    ) {
        Ok(Answer::RateLimits(RateLimitsAnswer::Current { current_rate_limit })) => {
            current_rate_limit
        }
        _ => Wad::ZERO,
    }
}

fn vault_position(c: &dyn Chain, pv: Address) -> Option<VaultPosition> {
    match c.view(pv, &Query::PrimeVault(PrimeVaultView::Position)) {
        Ok(Answer::PrimeVault(PrimeVaultAnswer::Position(p))) => Some(p),
        _ => None,
    }
}

fn generator_view(c: &dyn Chain, book: &AddressBook, v: GeneratorView) -> Option<GeneratorAnswer> {
    match c.view(book.a("generator"), &Query::GeneratorRegistry(v)) {
        Ok(Answer::GeneratorRegistry(a)) => Some(a),
        _ => None,
    }
}

fn legacy_debt(c: &dyn Chain, book: &AddressBook, prime: &str) -> Wad {
    match generator_view(c, book, GeneratorView::DebtLocations) {
        Some(GeneratorAnswer::DebtLocations { primes }) => primes
            .into_iter()
            .find(|p| p.prime == prime)
            .map_or(Wad::ZERO, |p| p.legacy_debt_wad),
        _ => Wad::ZERO,
    }
}

fn min_w(a: Wad, b: Wad) -> Wad {
    if a < b {
        a
    } else {
        b
    }
}

fn sub_w(a: Wad, b: Wad) -> Wad {
    Wad::from_raw(a.raw().saturating_sub(b.raw()))
}

fn bps_of(w: Wad, bps: u32) -> Wad {
    Wad::from_raw(w.raw().saturating_mul(U256::from(bps)) / U256::from(BPS))
}

fn market_key(book: &AddressBook) -> B256 {
    address_pair_key(
        limit_id(names::ASSET_TRANSFER),
        book.a("usds"),
        book.a("market"),
    )
}

// ---- the executor ---------------------------------------------------------------------------

struct Exec<'a, C: SimChain, S: Store> {
    s: &'a Scenario,
    book: &'a AddressBook,
    keys: &'a Keys,
    ops: &'a mut Operators,
    chain: &'a mut C,
    syn: &'a mut Synome<S>,
    stats: &'a mut Stats,
    now: Timestamp,
}

impl<C: SimChain, S: Store> Exec<'_, C, S> {
    /// Submits one action through the guard with its tag (skipped if already applied).
    fn act(
        &mut self,
        tag: &str,
        kind: &str,
        from: &str,
        call: Call,
        purpose: Purpose,
    ) -> Result<Option<Receipt>, SimError> {
        let from = self.book.a(from);
        self.act_from(tag, kind, from, call, purpose)
    }

    fn act_from(
        &mut self,
        tag: &str,
        kind: &str,
        from: Address,
        call: Call,
        purpose: Purpose,
    ) -> Result<Option<Receipt>, SimError> {
        if self.chain.has_tag(tag) {
            self.stats.skipped_on_resume += 1;
            return Ok(None);
        }
        let action = Action {
            tx: Tx {
                from,
                at: self.now,
                call,
            },
            purpose,
        };
        if let Err(e) = self.ops.guard.check(&*self.chain, &action) {
            self.syn
                .write(&self.keys.govops, vec![refusal_draft(&action, &e)])?;
            self.stats.refused += 1;
            *self
                .stats
                .outcomes
                .entry(kind.to_string())
                .or_default()
                .entry(e.code().to_string())
                .or_default() += 1;
            return Ok(None);
        }
        let r = self.chain.submit_tagged(action.tx, tag)?;
        let code = match &r.outcome {
            Ok(_) => "ok".to_string(),
            Err(rev) => rev.code().to_string(),
        };
        *self
            .stats
            .outcomes
            .entry(kind.to_string())
            .or_default()
            .entry(code)
            .or_default() += 1;
        Ok(Some(r))
    }

    /// Submits several actions as one durable unit (see [`SimChain::submit_batch`]); all are
    /// skipped if the first is already applied. Guard refusals are recorded and dropped.
    fn act_batch(
        &mut self,
        items: Vec<(String, &'static str, Address, Call, Purpose)>,
    ) -> Result<(), SimError> {
        if items.first().is_some_and(|i| self.chain.has_tag(&i.0)) {
            self.stats.skipped_on_resume += items.len() as u64;
            return Ok(());
        }
        let mut txs = Vec::new();
        let mut kinds = Vec::new();
        for (tag, kind, from, call, purpose) in items {
            let action = Action {
                tx: Tx {
                    from,
                    at: self.now,
                    call,
                },
                purpose,
            };
            if let Err(e) = self.ops.guard.check(&*self.chain, &action) {
                self.syn
                    .write(&self.keys.govops, vec![refusal_draft(&action, &e)])?;
                self.stats.refused += 1;
                *self
                    .stats
                    .outcomes
                    .entry(kind.to_string())
                    .or_default()
                    .entry(e.code().to_string())
                    .or_default() += 1;
                continue;
            }
            txs.push((action.tx, tag));
            kinds.push(kind);
        }
        for (r, kind) in self.chain.submit_batch(txs)?.iter().zip(kinds) {
            let code = match &r.outcome {
                Ok(_) => "ok".to_string(),
                Err(rev) => rev.code().to_string(),
            };
            *self
                .stats
                .outcomes
                .entry(kind.to_string())
                .or_default()
                .entry(code)
                .or_default() += 1;
        }
        Ok(())
    }

    fn ctrl(&self, pau: &str, c: ControllerCall) -> Call {
        Call::Controller(self.book.a(&format!("{pau}_ctrl")), c)
    }

    fn write(&mut self, w: &Writer, d: Draft) -> Result<(), SimError> {
        self.syn.write(w, vec![d])?;
        Ok(())
    }

    fn prime_spec(&self, prime: &str) -> &crate::scenario::PrimeSpec {
        let p = self.s.primes.iter().find(|p| p.name == prime);
        assert!(p.is_some(), "bug: plan names an unknown Prime '{prime}'");
        p.unwrap_or(&self.s.primes[0])
    }

    /// USDS moved from the market back to the Prime's ALMProxy so it holds `need`.
    fn recall(&mut self, tag: &str, prime: &str, need: Wad) -> Result<(), SimError> {
        let proxy = self.book.a(&format!("{prime}_proxy"));
        let have = usds_of(&*self.chain, self.book, proxy);
        if have >= need {
            return Ok(());
        }
        let market = usds_of(&*self.chain, self.book, self.book.a("market"));
        let x = min_w(sub_w(need, have), market);
        if x.is_zero() {
            return Ok(());
        }
        let call = Call::Erc20(
            self.book.a("usds"),
            Erc20Call::Transfer {
                to: proxy,
                amount: x,
            },
        );
        self.act(
            &format!("{tag}/recall"),
            "prime-recall",
            "market",
            call,
            Purpose::Normal,
        )?;
        Ok(())
    }

    fn draw(&mut self, tag: &str, prime: &str, amount: Wad) -> Result<(), SimError> {
        let t = self.now;
        if plan::migration_freeze(self.s, prime, t) {
            return Ok(());
        }
        let relayer = self.book.a(&plan::relayer_at(self.s, prime, t));
        let rl = self.book.a(&format!("{prime}_rl"));
        let (x, call) = if plan::on_vault(self.s, prime, t) {
            let pv = self.book.a(&format!("{prime}_pv"));
            let Some(pos) = vault_position(&*self.chain, pv) else {
                return Ok(());
            };
            let floor = Wad::from_raw(
                (pos.total_assets_wad
                    .raw()
                    .saturating_mul(U256::from(pos.min_idle_bps))
                    + U256::from(BPS - 1))
                    / U256::from(BPS),
            );
            let key = current_limit(
                &*self.chain,
                rl,
                address_key(limit_id(names::VAULT_DRAW), pv),
            );
            let x = min_w(min_w(amount, sub_w(pos.idle_wad, floor)), key);
            (
                x,
                self.ctrl(
                    prime,
                    ControllerCall::DrawPrimeVault {
                        vault: pv,
                        amount: x,
                    },
                ),
            )
        } else {
            let key = current_limit(&*self.chain, rl, limit_id(names::USDS_MINT));
            let x = min_w(amount, key);
            (x, self.ctrl(prime, ControllerCall::MintUsds { amount: x }))
        };
        if x.is_zero() {
            return Ok(());
        }
        let mut items = vec![(
            tag.to_string(),
            "prime-draw",
            relayer,
            call,
            Purpose::Normal,
        )];
        // Deploy the non-idle share to the market (the market key does not move with the draw).
        let b = &self.prime_spec(prime).behaviour;
        let out = bps_of(x, BPS - b.idle_share_bps.min(BPS));
        let out = min_w(out, current_limit(&*self.chain, rl, market_key(self.book)));
        if !out.is_zero() {
            let call = self.ctrl(
                prime,
                ControllerCall::TransferAsset {
                    asset: self.book.a("usds"),
                    to: self.book.a("market"),
                    amount: out,
                },
            );
            items.push((
                format!("{tag}/deploy"),
                "prime-deploy",
                relayer,
                call,
                Purpose::Normal,
            ));
        }
        self.act_batch(items)
    }

    fn repay(&mut self, tag: &str, prime: &str, amount: Wad) -> Result<(), SimError> {
        let t = self.now;
        if plan::migration_freeze(self.s, prime, t) {
            return Ok(());
        }
        let relayer = self.book.a(&plan::relayer_at(self.s, prime, t));
        let rl = self.book.a(&format!("{prime}_rl"));
        let vault = plan::on_vault(self.s, prime, t);
        let pv = self.book.a(&format!("{prime}_pv"));
        let x = if vault {
            let Some(pos) = vault_position(&*self.chain, pv) else {
                return Ok(());
            };
            let key = current_limit(
                &*self.chain,
                rl,
                address_key(limit_id(names::VAULT_REPAY), pv),
            );
            min_w(min_w(amount, pos.prime_debt_wad), key)
        } else {
            min_w(amount, legacy_debt(&*self.chain, self.book, prime))
        };
        let proxy = self.book.a(&format!("{prime}_proxy"));
        let have = usds_of(&*self.chain, self.book, proxy);
        let mut items = Vec::new();
        let mut available = have;
        if have < x {
            let market = usds_of(&*self.chain, self.book, self.book.a("market"));
            let r = min_w(sub_w(x, have), market);
            if !r.is_zero() {
                let call = Call::Erc20(
                    self.book.a("usds"),
                    Erc20Call::Transfer {
                        to: proxy,
                        amount: r,
                    },
                );
                items.push((
                    format!("{tag}/recall"),
                    "prime-recall",
                    self.book.a("market"),
                    call,
                    Purpose::Normal,
                ));
                available = available.checked_add(r).unwrap_or(available);
            }
        }
        let x = min_w(x, available);
        if x.is_zero() {
            return Ok(());
        }
        let call = if vault {
            self.ctrl(
                prime,
                ControllerCall::RepayPrimeVault {
                    vault: pv,
                    amount: x,
                },
            )
        } else {
            self.ctrl(prime, ControllerCall::BurnUsds { amount: x })
        };
        items.push((
            tag.to_string(),
            "prime-repay",
            relayer,
            call,
            Purpose::Normal,
        ));
        self.act_batch(items)
    }

    /// Keeps the Prime's idle USDS at its idle share of its debt before the lock.
    fn top_up(&mut self, tag: &str, prime: &str) -> Result<(), SimError> {
        let debt = match generator_view(&*self.chain, self.book, GeneratorView::DebtLocations) {
            Some(GeneratorAnswer::DebtLocations { primes }) => primes
                .into_iter()
                .find(|p| p.prime == prime)
                .map_or(Wad::ZERO, |p| p.total_wad),
            _ => Wad::ZERO,
        };
        let share = self.prime_spec(prime).behaviour.idle_share_bps;
        self.recall(tag, prime, bps_of(debt, share))
    }

    fn pay(&mut self, tag: &str, prime: &str, epoch: EpochId) -> Result<(), SimError> {
        if self.chain.has_tag(tag) {
            self.stats.skipped_on_resume += 1;
            return Ok(());
        }
        let books = self
            .ops
            .settlement
            .books(&*self.chain, self.syn, self.now)
            .map_err(|e| op_err("prime payment", epoch, e))?;
        let open = books
            .get(prime)
            .map_or(Wad::ZERO, |b| b.open_wad(Payer::Prime, epoch.moment()));
        if open.is_zero() {
            return Ok(());
        }
        let proxy = self.book.a(&format!("{prime}_proxy"));
        let x = min_w(open, usds_of(&*self.chain, self.book, proxy));
        if x.is_zero() {
            return Ok(());
        }
        let relayer = plan::relayer_at(self.s, prime, self.now);
        let call = self.ctrl(
            prime,
            ControllerCall::TransferAsset {
                asset: self.book.a("usds"),
                to: self.book.a("gen_proxy"),
                amount: x,
            },
        );
        self.act(
            tag,
            "prime-payment",
            &relayer,
            call,
            Purpose::SettlementPayment,
        )?;
        Ok(())
    }

    fn generator_fund_vault(&mut self, tag: &str, prime: &str) -> Result<(), SimError> {
        let Some(target) = self.prime_spec(prime).vault_idle_target else {
            return Ok(());
        };
        let pv = self.book.a(&format!("{prime}_pv"));
        let Some(pos) = vault_position(&*self.chain, pv) else {
            return Ok(());
        };
        let need = sub_w(target, pos.idle_wad);
        if need.is_zero() {
            return Ok(());
        }
        let call = self.ctrl("gen", ControllerCall::MintUsds { amount: need });
        self.act(
            &format!("{tag}/mint-{prime}"),
            "generator-mint",
            "gen_relayer",
            call,
            Purpose::Normal,
        )?;
        let call = self.ctrl(
            "gen",
            ControllerCall::Deposit4626 {
                vault: pv,
                assets: need,
                min_shares_out: Wad::ZERO,
            },
        );
        self.act(
            &format!("{tag}/deposit-{prime}"),
            "generator-deposit",
            "gen_relayer",
            call,
            Purpose::Normal,
        )?;
        Ok(())
    }

    fn generator_morning(&mut self, tag: &str) -> Result<(), SimError> {
        let required = match generator_view(&*self.chain, self.book, GeneratorView::LiquidityBuffer)
        {
            Some(GeneratorAnswer::LiquidityBuffer(b)) => b.required_wad,
            _ => Wad::ZERO,
        };
        let want = required
            .checked_add(self.s.generator.buffer_headroom.unwrap_or(Wad::ZERO))
            .unwrap_or(required);
        let idle = usds_of(&*self.chain, self.book, self.book.a("gen_proxy"));
        if idle < want {
            let call = self.ctrl(
                "gen",
                ControllerCall::MintUsds {
                    amount: sub_w(want, idle),
                },
            );
            self.act(
                &format!("{tag}/buffer"),
                "generator-mint",
                "gen_relayer",
                call,
                Purpose::Normal,
            )?;
        }
        for p in self.s.primes.clone() {
            if plan::on_vault(self.s, &p.name, self.now) {
                self.generator_fund_vault(tag, &p.name)?;
            }
        }
        Ok(())
    }

    fn user(
        &mut self,
        tag: &str,
        kind: &str,
        user: u32,
        queue: &str,
        call: LctsQueueCall,
    ) -> Result<(), SimError> {
        let q = self.book.a(queue);
        let from = self.book.user(user);
        self.act_from(tag, kind, from, Call::LctsQueue(q, call), Purpose::Normal)?;
        Ok(())
    }

    fn has_position(&self, queue: &str, user: u32) -> bool {
        let q = self.book.a(queue);
        matches!(
            self.chain.view(q, &Query::LctsQueue(LctsQueueView::Position { user: self.book.user(user) })),
            Ok(Answer::LctsQueue(LctsQueueAnswer::Position(p))) if !p.claimable_reward_wad.is_zero()
        )
    }

    fn migration_tranches(&self, i: usize) -> Vec<Wad> {
        let m = &self.s.migrations[i];
        let debt = legacy_debt(&*self.chain, self.book, &m.prime);
        let n = U256::from(m.tranches.max(1));
        let part = debt.raw() / n;
        let mut out: Vec<Wad> = (1..m.tranches).map(|_| Wad::from_raw(part)).collect();
        out.push(Wad::from_raw(debt.raw() - part * (n - U256::from(1u8))));
        out.retain(|w| !w.is_zero());
        out
    }

    fn migration_step_record(
        &mut self,
        prime: &str,
        step: &str,
        amount: Wad,
        epoch: EpochId,
    ) -> Result<(), SimError> {
        let d = Draft::new(
            Kind::MigrationStep,
            &format!("prime:{prime}"),
            self.now,
            Provenance::GovernanceDirected,
            json!({"prime": prime, "step": step, "amount_wad": amount}),
        )
        .epoch(epoch);
        self.write(&self.keys.govops.clone(), d)
    }

    fn step(&mut self, day: EpochId, tag: &str, act: &Act) -> Result<(), SimError> {
        let gov = Provenance::GovernanceDirected;
        let council = self.keys.council.clone();
        let govops = self.keys.govops.clone();
        match act {
            Act::ParameterSet { change } => {
                let c = &self.s.governance.changes[*change];
                let d = Draft::new(
                    Kind::ParameterSet,
                    "global",
                    self.now,
                    gov,
                    parameter_payload(c.epoch, c),
                )
                .epoch(day);
                self.write(&council, d)?;
                if let Some(b) = c.generator_buffer_min {
                    let call = Call::GeneratorRegistry(
                        self.book.a("generator"),
                        GeneratorCall::SetLiquidityBuffer { min_idle: b },
                    );
                    self.act(
                        &format!("{tag}/buffer"),
                        "governance",
                        "admin",
                        call,
                        Purpose::GovernanceChange,
                    )?;
                }
            }
            Act::Skip { epoch, reason } => {
                let d = Draft::new(
                    Kind::Skip,
                    "global",
                    self.now,
                    gov,
                    json!({"epoch": epoch, "reason": reason}),
                )
                .epoch(*epoch);
                self.write(&council, d)?;
            }
            Act::RateLimit { change } => {
                let r = self.s.governance.rate_limits[*change].clone();
                let pv = self.book.a(&format!("{}_pv", r.prime));
                let key = match r.limit {
                    LimitName::Draw => address_key(limit_id(names::VAULT_DRAW), pv),
                    LimitName::Repay => address_key(limit_id(names::VAULT_REPAY), pv),
                    LimitName::Payment => address_pair_key(
                        limit_id(names::ASSET_TRANSFER),
                        self.book.a("usds"),
                        self.book.a("gen_proxy"),
                    ),
                    LimitName::Market => market_key(self.book),
                };
                if self.s.configurator.is_some() {
                    let call = Call::Configurator(
                        self.book.a("main_cfg"),
                        ConfiguratorCall::SetRateLimit {
                            pau: self.book.a(&format!("{}_proxy", r.prime)),
                            key: Key(key),
                            max_amount: r.max_amount,
                            slope: r.slope,
                        },
                    );
                    self.act(
                        tag,
                        "governance",
                        "main_govops",
                        call,
                        Purpose::GovernanceChange,
                    )?;
                } else {
                    let call = Call::RateLimits(
                        self.book.a(&format!("{}_rl", r.prime)),
                        RateLimitsCall::SetMaxSlope {
                            key: Key(key),
                            max_amount: r.max_amount,
                            slope: r.slope,
                        },
                    );
                    self.act(tag, "governance", "admin", call, Purpose::GovernanceChange)?;
                }
            }
            Act::MigrationPlanRecord { migration } => {
                let m = self.s.migrations[*migration].clone();
                let cut = m.cutover_at().unwrap_or(self.now);
                let cut_epoch = EpochId::date_of(cut).unwrap_or(day);
                let tranches = self.migration_tranches(*migration);
                let mut e = cut_epoch;
                let mut planned = Vec::new();
                for t in &tranches {
                    planned.push(json!({"epoch": e, "amount_wad": t}));
                    e = e.next().unwrap_or(e);
                }
                let mut e = cut_epoch;
                let mut buffer = Vec::new();
                for b in &m.buffer_schedule {
                    buffer.push(json!({"epoch": e, "amount_wad": b}));
                    e = e.next().unwrap_or(e);
                }
                let p = self.prime_spec(&m.prime);
                let ilk = p
                    .legacy
                    .ilk
                    .clone()
                    .unwrap_or_else(|| format!("ALLOCATOR-{}-A", m.prime.to_ascii_uppercase()));
                let d = Draft::new(
                    Kind::MigrationPlan,
                    &format!("prime:{}", m.prime),
                    self.now,
                    gov,
                    json!({"prime": m.prime, "legacy_ilk": ilk, "cutover_epoch": cut_epoch, "tranches": planned,
                        "initial_min_idle_bps": m.min_idle_bps, "buffer_schedule": buffer,
                        "temporary_rate_limits": {}, "rollback_steps": ["rollbackMigration"]}),
                )
                .epoch(day);
                self.write(&council, d)?;
            }
            Act::Cutover { migration } => {
                let m = self.s.migrations[*migration].clone();
                let plan = MigrationPlan {
                    cutover_at: self.now,
                    tranches: self.migration_tranches(*migration),
                    min_idle_bps: m.min_idle_bps,
                    draw_limit: None,
                    buffer_schedule: m.buffer_schedule.clone(),
                };
                let g = self.book.a("generator");
                let call = Call::GeneratorRegistry(
                    g,
                    GeneratorCall::SetMigrationPlan {
                        prime: m.prime.clone(),
                        plan,
                    },
                );
                self.act(
                    &format!("{tag}/plan"),
                    "migration",
                    "admin",
                    call,
                    Purpose::MigrationStep,
                )?;
                let call = Call::GeneratorRegistry(
                    g,
                    GeneratorCall::StartMigration {
                        prime: m.prime.clone(),
                    },
                );
                self.act(
                    &format!("{tag}/start"),
                    "migration",
                    "admin",
                    call,
                    Purpose::MigrationStep,
                )?;
                self.generator_fund_vault(tag, &m.prime)?;
                self.migration_step_record(&m.prime, "cutover", Wad::ZERO, day)?;
            }
            Act::Tranche { migration, n } => {
                let prime = self.s.migrations[*migration].prime.clone();
                let amount = match generator_view(
                    &*self.chain,
                    self.book,
                    GeneratorView::Migration {
                        prime: prime.clone(),
                    },
                ) {
                    Some(GeneratorAnswer::Migration(v)) => {
                        v.plan.and_then(|p| p.tranches.get(*n as usize).copied())
                    }
                    _ => None,
                };
                let Some(amount) = amount else { return Ok(()) };
                let call = Call::GeneratorRegistry(
                    self.book.a("generator"),
                    GeneratorCall::ExecuteTranche {
                        prime: prime.clone(),
                    },
                );
                self.act(tag, "migration", "admin", call, Purpose::MigrationStep)?;
                self.migration_step_record(&prime, &format!("tranche-{n}"), amount, day)?;
            }
            Act::Complete { migration } => {
                let prime = self.s.migrations[*migration].prime.clone();
                let call = Call::GeneratorRegistry(
                    self.book.a("generator"),
                    GeneratorCall::CompleteMigration {
                        prime: prime.clone(),
                    },
                );
                self.act(tag, "migration", "admin", call, Purpose::MigrationStep)?;
                self.migration_step_record(&prime, "complete", Wad::ZERO, day)?;
            }
            Act::Forgive { prime, epoch } => {
                let events = records(self.syn, Kind::PenaltyEvent, None)?;
                let forgiven: BTreeSet<B256> = records(self.syn, Kind::Forgiveness, None)?
                    .into_iter()
                    .filter_map(|r| {
                        serde_json::from_value::<payload::Forgiveness>(r.content.payload)
                            .ok()
                            .map(|f| f.penalty)
                    })
                    .collect();
                let mut drafts = Vec::new();
                for r in events {
                    let Ok(p) =
                        serde_json::from_value::<payload::PenaltyEvent>(r.content.payload.clone())
                    else {
                        continue;
                    };
                    if p.prime != *prime
                        || p.from != epoch.moment()
                        || forgiven.contains(&r.id)
                        || p.amount_wad.is_zero()
                    {
                        continue;
                    }
                    drafts.push(Draft::new(
                        Kind::Forgiveness,
                        &r.content.subject,
                        self.now,
                        gov,
                        json!({"penalty": r.id, "amount_wad": p.amount_wad, "rationale": format!("late payment of {epoch} by {prime}: first occurrence, paid the same evening")}),
                    ).epoch(day));
                }
                if !drafts.is_empty() {
                    self.syn.write(&council, drafts)?;
                }
            }
            Act::GeneratorMorning => self.generator_morning(tag)?,
            Act::PrimeDraw { prime, amount } => self.draw(tag, prime, *amount)?,
            Act::PrimeRepay { prime, amount } => self.repay(tag, prime, *amount)?,
            Act::PrimeTopUp { prime } => self.top_up(tag, prime)?,
            Act::PrimePay { prime, epoch } => self.pay(tag, prime, *epoch)?,
            Act::UserSubscribe { user, amount } => {
                let have = usds_of(&*self.chain, self.book, self.book.user(*user));
                let x = min_w(*amount, have);
                if !x.is_zero() {
                    self.user(
                        tag,
                        "lcts-subscribe",
                        *user,
                        "subscribe_q",
                        LctsQueueCall::EnterUsds { amount: x },
                    )?;
                }
            }
            Act::UserRedeem { user, share_bps } => {
                let have = token_of(&*self.chain, self.book.a("srusds"), self.book.user(*user));
                let x = bps_of(have, *share_bps);
                if !x.is_zero() {
                    self.user(
                        tag,
                        "lcts-redeem",
                        *user,
                        "redeem_q",
                        LctsQueueCall::Enter { amount: x },
                    )?;
                }
            }
            Act::UserClaim { user } => {
                for (q, suffix) in [("subscribe_q", "s"), ("redeem_q", "r")] {
                    if self.has_position(q, *user) {
                        self.user(
                            &format!("{tag}-{suffix}"),
                            "lcts-claim",
                            *user,
                            q,
                            LctsQueueCall::Claim,
                        )?;
                    }
                }
            }
            Act::CompromiseDrain { prime } => {
                let rl = self.book.a(&format!("{prime}_rl"));
                let proxy = self.book.a(&format!("{prime}_proxy"));
                let x = min_w(
                    current_limit(&*self.chain, rl, market_key(self.book)),
                    usds_of(&*self.chain, self.book, proxy),
                );
                if !x.is_zero() {
                    let call = self.ctrl(
                        prime,
                        ControllerCall::TransferAsset {
                            asset: self.book.a("usds"),
                            to: self.book.a("market"),
                            amount: x,
                        },
                    );
                    self.act(
                        tag,
                        "attacker",
                        &format!("{prime}_relayer"),
                        call,
                        Purpose::Normal,
                    )?;
                }
            }
            Act::Freeze { prime } => {
                let old = self.book.a(&format!("{prime}_relayer"));
                let call = self.ctrl(prime, ControllerCall::RemoveRelayer { relayer: old });
                self.act(
                    &format!("{tag}/remove"),
                    "freezer",
                    "freezer",
                    call,
                    Purpose::RelayerRemoval,
                )?;
                let new = self.book.a(&format!("{prime}_relayer2"));
                if self.s.configurator.is_some() {
                    let call = Call::Configurator(
                        self.book.a("main_cfg"),
                        ConfiguratorCall::SetRelayer {
                            pau: self.book.a(&format!("{prime}_proxy")),
                            relayer: new,
                            enabled: true,
                        },
                    );
                    self.act(
                        &format!("{tag}/grant"),
                        "governance",
                        "main_govops",
                        call,
                        Purpose::GovernanceChange,
                    )?;
                } else {
                    let call = self.ctrl(
                        prime,
                        ControllerCall::Access(AccessCall::GrantRole {
                            role: ChainRole(laniakea_chain::roles::role_id("RELAYER")),
                            account: new,
                        }),
                    );
                    self.act(
                        &format!("{tag}/grant"),
                        "governance",
                        "admin",
                        call,
                        Purpose::GovernanceChange,
                    )?;
                }
                let d = Draft::new(
                    Kind::Incident,
                    "global",
                    self.now,
                    gov,
                    json!({"kind": "relayer-compromise", "description": format!("{prime}'s relayer {old} compromised; removed by the freezer, new relayer {new} granted")}),
                )
                .epoch(day);
                self.write(&govops, d)?;
            }
            Act::CliffPause { prime, pause_hours } => {
                let pv = self.book.a(&format!("{prime}_pv"));
                let duration_s = u64::from(*pause_hours) * 3600;
                let call = Call::PrimeVault(pv, PrimeVaultCall::Pause { duration_s });
                self.act(tag, "freezer", "freezer", call, Purpose::GovernanceChange)?;
                let d = Draft::new(
                    Kind::Incident,
                    "global",
                    self.now,
                    gov,
                    json!({"kind": "withdrawal-pause", "description": format!("liquidity cliff at {prime}'s vault: Generator withdrawals paused for {pause_hours} h"), "vault": pv, "until": Timestamp(self.now.0 + duration_s)}),
                )
                .epoch(day);
                self.write(&govops, d)?;
            }
            Act::CliffDraw { prime } => self.draw(tag, prime, Wad::MAX)?,
            Act::CliffGeneratorWithdraw { prime } => {
                let pv = self.book.a(&format!("{prime}_pv"));
                let amount = Wad::from_raw(laniakea_units::WAD);
                let call = self.ctrl(
                    "gen",
                    ControllerCall::Withdraw4626 {
                        vault: pv,
                        assets: amount,
                        max_shares_in: Wad::MAX,
                    },
                );
                self.act(
                    tag,
                    "generator-withdraw-during-pause",
                    "gen_relayer",
                    call,
                    Purpose::Normal,
                )?;
            }
            Act::LctsInputs { epoch } => {
                if let Some(l) = &self.s.lcts {
                    let d = Draft::new(
                        Kind::ParameterSet,
                        "global",
                        self.now,
                        gov,
                        json!({"effective_epoch": epoch, "srusds_osrc_capacity_susds_wad": l.osrc_capacity,
                            "srusds_target_spread_apr": l.target_spread_apr, "redemption_limit_wad": l.redemption_limit}),
                    )
                    .epoch(day);
                    self.write(&council, d)?;
                }
            }
            Act::LctsLock | Act::LctsSettle => {
                if let Some(b) = &self.ops.lcts {
                    b.run_epoch(self.chain, self.syn, day)
                        .map_err(|e| SimError::Operator {
                            step: "lpha-lcts",
                            epoch: day.to_string(),
                            code: e.code(),
                            message: e.to_string(),
                        })?;
                }
            }
            Act::PostStatements { epoch } => {
                self.ops
                    .settlement
                    .post_statements(&*self.chain, self.syn, *epoch)
                    .map_err(|e| op_err("post statements", *epoch, e))?;
            }
            Act::RecordPenalties => {
                self.ops
                    .settlement
                    .record_penalties(&*self.chain, self.syn)
                    .map_err(|e| op_err("record penalties", day, e))?;
            }
            Act::PayGeneratorSide { epoch } => {
                self.ops
                    .settlement
                    .pay_generator_side(self.chain, self.syn, *epoch)
                    .map_err(|e| op_err("Generator payments", *epoch, e))?;
            }
            Act::RecordReceipts => {
                self.ops
                    .settlement
                    .record_receipts(&*self.chain, self.syn)
                    .map_err(|e| op_err("record receipts", day, e))?;
            }
            Act::CheckerReport { epoch } => {
                self.ops
                    .checker
                    .report(&*self.chain, self.syn, *epoch)
                    .map_err(|e| SimError::Operator {
                        step: "checker report",
                        epoch: epoch.to_string(),
                        code: e.code(),
                        message: e.to_string(),
                    })?;
            }
            Act::PrimeReports { epoch } => {
                self.ops.reporter.report(&*self.chain, self.syn, *epoch)?;
            }
            Act::Checkpoint => {
                let mine = self.keys.operator.signer.address();
                let done = records(self.syn, Kind::Checkpoint, Some(day))?
                    .iter()
                    .any(|r| r.content.author == mine);
                if !done {
                    let w = self.keys.operator.clone();
                    self.syn.checkpoint(&w, day, self.now)?;
                }
            }
        }
        Ok(())
    }
}

/// Every record of a kind (optionally of one epoch), in store order.
pub fn records<S: Store>(
    syn: &mut Synome<S>,
    kind: Kind,
    epoch: Option<EpochId>,
) -> Result<Vec<SignedRecord>, SimError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = syn.list(&SQuery {
            kind: Some(kind),
            epoch,
            after,
            limit: 1000,
            ..Default::default()
        })?;
        out.extend(page);
        let Some(n) = next else { break };
        after = n;
    }
    Ok(out)
}

/// Runs `opts.days` days of the scenario on `chain` (at genesis, or part-way through an earlier
/// attempt of the same run) and `syn`; `on_day` is called after each day (progress, checks; an
/// error from it stops the run).
pub fn run<C: SimChain, S: Store>(
    s: &Scenario,
    opts: &RunOptions,
    chain: &mut C,
    book: &AddressBook,
    syn: &mut Synome<S>,
    on_day: &mut dyn FnMut(&DayDone, &C, &mut Synome<S>) -> Result<(), SimError>,
) -> Result<Summary, SimError> {
    let keys = Keys::demo();
    init_synome(s, &keys, syn)?;
    let mut ops = Operators::new(s, book, &keys)?;
    let cal = Calendar::new(s, opts.days);
    let mut stats = Stats::default();
    let mut day = s.start;
    for index in 0..opts.days {
        let steps = plan::day_plan(s, opts.seed, &cal, day);
        for st in &steps {
            // Resume: a step before the chain's time ran to completion before the stop (steps run
            // in time order and the clock only moves at a step's start); the step at the chain's
            // time may be partial and is re-run (its parts are idempotent).
            if st.at < chain.now() {
                stats.skipped_on_resume += 1;
                continue;
            }
            chain.advance_to(st.at)?;
            let now = chain.now().max(st.at);
            let mut ex = Exec {
                s,
                book,
                keys: &keys,
                ops: &mut ops,
                chain,
                syn,
                stats: &mut stats,
                now,
            };
            ex.step(day, &st.tag, &st.act)?;
        }
        on_day(
            &DayDone {
                epoch: day,
                index,
                days: opts.days,
                settled: cal.settles_on_time(day),
            },
            chain,
            syn,
        )?;
        if index + 1 < opts.days {
            day = day.next().map_err(|e| SimError::Setup(e.to_string()))?;
        }
    }
    summary::compute(s, opts, chain, book, syn, &mut ops, &stats, &cal)
}
