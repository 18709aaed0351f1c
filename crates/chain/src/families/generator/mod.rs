//! The Generator registry (SPEC §4.6, §4.8, §4.11): the Generator's book, the Primes it funds,
//! the liquidity buffer and the Prime-by-Prime migration from legacy ilks.
//!
//! Contract:
//! - One registry per Generator names its PAU (proxy, controller, ilk vault) and, per Prime
//!   (`registerPrime`, ADMIN), the Prime's PAU, its Prime vault and its legacy ilk vault if any.
//! - Views (never mutate): `book` (assets = Prime-vault shares at `convertToAssets` + idle USDS in
//!   the Generator proxy + recorded receivables; liabilities = Generator ilk debt rounded up; the
//!   difference as surplus or shortfall), `debtLocations` (per Prime: legacy-ilk debt vs vault
//!   principal), `compatibilitySet` (legacy ilks not yet migrated), `liquidityBuffer` (required
//!   vs idle for the current epoch), `migration(prime)`.
//! - Migration (ADMIN = governance executing a pre-approved plan; each step one all-or-nothing
//!   transaction that refuses, naming the precondition, when one fails; never inside a
//!   Processing Window 13:00–16:00 UTC): `setMigrationPlan` → `startMigration` (cutover: legacy
//!   line lowered to its debt, temporary draw limit and initial `min_idle_bps` applied) →
//!   `executeTranche` × n (Generator mints `x` and deposits it in the Prime vault; the Prime draws
//!   `x` and burns it against its legacy ilk; legacy line follows the debt down) →
//!   `completeMigration` (legacy debt 0, line 0, Prime mint key disabled, temporary limits
//!   restored, the ilk leaves the compatibility set) or, until completion, `rollbackMigration`
//!   (all tranches reversed in one step, pre-migration line, limits and `min_idle_bps` restored).
//! - The registry acts through the PAUs' own code: it holds RELAYER on the controllers, ADMIN on
//!   the Prime rate limits and vaults, and is a Vat ward (granted by the system builder), so every
//!   migration flow passes the same role and rate-limit checks as a relayer's.
//!
//! Never: moves funds except through a controller; changes anything on a failed precondition.

use crate::call::{Returns, Value};
use crate::contracts::Symbol;
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::alm_proxy::AlmProxy;
use crate::families::controller::Controller;
use crate::families::ilk_vault::IlkVault;
use crate::families::prime_vault::PrimeVault;
use crate::families::rate_limits::{address_key, limit_id, names, RateLimitData};
use crate::families::vat::{ilk_name, Vat};
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::roles::ADMIN_ROLE;
use crate::state::State;
use crate::system::Limit;
use alloy_primitives::{Address, B256, U256};
use laniakea_units::time::{EpochId, LOCK_OFFSET_S, MOMENT_OFFSET_S, SECONDS_PER_DAY};
use laniakea_units::{math, Rad, Timestamp, Wad, RAY};
use serde::Deserialize;

/// The Generator registry's scalar storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorRegistry {
    pub usds: Address,
    /// the Generator's ALMProxy
    pub proxy: Address,
    /// the Generator's controller
    pub controller: Address,
    /// the Generator's ilk vault
    pub ilk_vault: Address,
    /// settlement receivables recorded by the operator [wad]
    pub receivables: Wad,
    /// baseline minimum idle USDS in the Generator proxy [wad]
    pub min_buffer: Wad,
}

/// A migration plan for one Prime (SPEC §4.11).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationPlan {
    /// when dual-run may start (not in the past, not inside a Processing Window)
    pub cutover_at: Timestamp,
    /// tranche sizes, executed in order [wad]
    pub tranches: Vec<Wad>,
    /// the Prime vault's `min_idle_bps` from cutover
    #[serde(default)]
    pub min_idle_bps: u16,
    /// temporary `LIMIT_VAULT_DRAW⊕vault` on the Prime's rate limits from cutover to the end
    #[serde(default)]
    pub draw_limit: Option<Limit>,
    /// minimum Generator idle USDS in the epochs from the cutover epoch on (index 0 = the
    /// cutover epoch) [wad]
    #[serde(default)]
    pub buffer_schedule: Vec<Wad>,
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum MigrationStatus {
    Planned,
    DualRun,
    Completed,
    RolledBack,
}

/// What the cutover changed, restored by a rollback (and partly at completion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Saved {
    pub line: Rad,
    pub mint_key: RateLimitData,
    pub draw_key: RateLimitData,
    pub min_idle_bps: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub plan: MigrationPlan,
    pub status: MigrationStatus,
    pub tranches_done: u32,
    /// legacy debt moved to the vault so far [wad]
    pub moved: Wad,
    pub saved: Saved,
}

/// One registered Prime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimeEntry {
    pub proxy: Address,
    pub controller: Address,
    pub rate_limits: Address,
    pub vault: Address,
    /// the legacy ilk vault (zero: none)
    pub legacy_vault: Address,
    /// the legacy ilk (zero: none)
    pub legacy_ilk: B256,
    pub migration: Option<Migration>,
}

crate::ledger! {
    /// Every registry's Primes.
    pub struct GeneratorLedger {
        /// (registry, Prime name) → entry
        pub primes: JournaledMap<(Address, Symbol), PrimeEntry>,
    }
}

const TAG_PRIMES: u8 = 10;

/// `deploy: {"kind": "generator", "proxy", "controller"}` (USDS and the ilk vault come from the
/// controller).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorDeploy {
    pub proxy: Address,
    pub controller: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum GeneratorCall {
    #[serde(rename = "registerPrime")]
    RegisterPrime {
        name: String,
        controller: Address,
        vault: Address,
        #[serde(default)]
        legacy_vault: Option<Address>,
    },
    #[serde(rename = "setReceivables")]
    SetReceivables { amount: Wad },
    #[serde(rename = "setLiquidityBuffer")]
    SetLiquidityBuffer { min_idle: Wad },
    #[serde(rename = "setMigrationPlan")]
    SetMigrationPlan { prime: String, plan: MigrationPlan },
    #[serde(rename = "startMigration")]
    StartMigration { prime: String },
    #[serde(rename = "executeTranche")]
    ExecuteTranche { prime: String },
    #[serde(rename = "rollbackMigration")]
    RollbackMigration { prime: String },
    #[serde(rename = "completeMigration")]
    CompleteMigration { prime: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum GeneratorView {
    #[serde(rename = "book")]
    Book,
    #[serde(rename = "debtLocations")]
    DebtLocations,
    #[serde(rename = "compatibilitySet")]
    CompatibilitySet,
    #[serde(rename = "liquidityBuffer")]
    LiquidityBuffer,
    #[serde(rename = "migration")]
    Migration { prime: String },
}

/// The Generator's book (SPEC §4.6).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Book {
    pub vaults: Vec<VaultHolding>,
    pub vault_shares_value_wad: Wad,
    pub idle_usds_wad: Wad,
    pub receivables_wad: Wad,
    pub total_assets_wad: Wad,
    /// Generator ilk debt, `Art·rate` rounded up to a wad
    pub ilk_debt_wad: Wad,
    pub surplus_wad: Wad,
    pub shortfall_wad: Wad,
}

/// The Generator's position in one Prime vault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VaultHolding {
    pub prime: String,
    pub vault: Address,
    pub shares_wad: Wad,
    /// `convertToAssets(shares)` (floor)
    pub value_wad: Wad,
}

/// Where one Prime's debt sits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DebtLocation {
    pub prime: String,
    /// empty when the Prime has no legacy ilk
    pub legacy_ilk: String,
    /// legacy-ilk debt, `art·rate` rounded up [wad]
    pub legacy_debt_wad: Wad,
    /// vault principal: drawn − written down [wad]
    pub vault_principal_wad: Wad,
    pub total_wad: Wad,
    /// `none` or the migration status
    pub migration: &'static str,
}

/// The liquidity buffer now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BufferStatus {
    pub epoch: String,
    pub required_wad: Wad,
    pub idle_usds_wad: Wad,
    pub holds: bool,
    pub headroom_wad: Wad,
    pub shortfall_wad: Wad,
}

/// A Prime's migration as a view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationView {
    pub prime: String,
    pub status: &'static str,
    pub plan: Option<MigrationPlan>,
    pub tranches_done: u32,
    pub moved_wad: Wad,
    pub legacy_debt_wad: Wad,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum GeneratorAnswer {
    Book(Book),
    DebtLocations { primes: Vec<DebtLocation> },
    CompatibilitySet { ilks: Vec<String> },
    LiquidityBuffer(BufferStatus),
    Migration(MigrationView),
}

fn err(r: GeneratorRevert) -> Revert {
    Revert::GeneratorRegistry(r)
}

impl Family for GeneratorRegistry {
    const LABEL: &'static str = "generator";
    type Call = GeneratorCall;
    type Deploy = GeneratorDeploy;
    type View = GeneratorView;
    type Answer = GeneratorAnswer;
    type Revert = GeneratorRevert;
    type Event = GeneratorEvent;
    type Ledger = GeneratorLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_PRIMES];

    fn deploy(s: &mut State, _: Address, _: Address, d: &GeneratorDeploy) -> CallResult<Self> {
        s.get::<AlmProxy>(d.proxy)?;
        let c = s.get::<Controller>(d.controller)?;
        if c.proxy != d.proxy {
            return Err(err(GeneratorRevert::WrongPau {
                controller: d.controller,
                proxy: d.proxy,
            }));
        }
        Ok(GeneratorRegistry {
            usds: c.usds,
            proxy: d.proxy,
            controller: d.controller,
            ilk_vault: c.ilk_vault,
            receivables: Wad::ZERO,
            min_buffer: Wad::ZERO,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: GeneratorCall) -> CallResult<Returns> {
        s.require_role(to, ADMIN_ROLE, from)?;
        match c {
            GeneratorCall::RegisterPrime {
                name,
                controller,
                vault,
                legacy_vault,
            } => s.gen_register_prime(to, &name, controller, vault, legacy_vault)?,
            GeneratorCall::SetReceivables { amount } => {
                s.get_mut::<GeneratorRegistry>(to)?.receivables = amount;
                s.emit(
                    to,
                    EventKind::GeneratorRegistry(GeneratorEvent::ReceivablesSet {
                        amount_wad: amount,
                    }),
                );
            }
            GeneratorCall::SetLiquidityBuffer { min_idle } => {
                s.get_mut::<GeneratorRegistry>(to)?.min_buffer = min_idle;
                s.emit(
                    to,
                    EventKind::GeneratorRegistry(GeneratorEvent::LiquidityBufferSet {
                        min_idle_wad: min_idle,
                    }),
                );
            }
            GeneratorCall::SetMigrationPlan { prime, plan } => {
                s.gen_set_plan(to, &prime, plan)?
            }
            GeneratorCall::StartMigration { prime } => s.gen_start(to, &prime)?,
            GeneratorCall::ExecuteTranche { prime } => {
                let x = s.gen_tranche(to, &prime)?;
                return Ok(Returns::one("amount", Value::Wad(x)));
            }
            GeneratorCall::RollbackMigration { prime } => {
                let x = s.gen_rollback(to, &prime)?;
                return Ok(Returns::one("amount", Value::Wad(x)));
            }
            GeneratorCall::CompleteMigration { prime } => s.gen_complete(to, &prime)?,
        }
        Ok(Returns::none())
    }

    fn view(s: &State, to: Address, v: &GeneratorView) -> CallResult<GeneratorAnswer> {
        Ok(match v {
            GeneratorView::Book => GeneratorAnswer::Book(s.generator_book(to)?),
            GeneratorView::DebtLocations => GeneratorAnswer::DebtLocations {
                primes: s.debt_locations(to)?,
            },
            GeneratorView::CompatibilitySet => GeneratorAnswer::CompatibilitySet {
                ilks: s.compatibility_set(to)?,
            },
            GeneratorView::LiquidityBuffer => {
                GeneratorAnswer::LiquidityBuffer(s.liquidity_buffer(to)?)
            }
            GeneratorView::Migration { prime } => {
                GeneratorAnswer::Migration(s.migration_view(to, prime)?)
            }
        })
    }

    fn encode(&self, e: &mut Enc) {
        e.a(self.usds);
        e.a(self.proxy);
        e.a(self.controller);
        e.a(self.ilk_vault);
        e.u(self.receivables.raw());
        e.u(self.min_buffer.raw());
    }

    fn encode_ledger(l: &GeneratorLedger, tag: u8, e: &mut Enc) {
        assert_eq!(tag, TAG_PRIMES, "generator ledger has one digest section");
        e.tag(TAG_PRIMES, l.primes.len());
        for ((reg, name), p) in l.primes.iter() {
            e.a(*reg);
            e.bytes(&[name.as_str().len() as u8]);
            e.bytes(name.as_str().as_bytes());
            e.a(p.proxy);
            e.a(p.controller);
            e.a(p.rate_limits);
            e.a(p.vault);
            e.a(p.legacy_vault);
            e.b(p.legacy_ilk);
            match &p.migration {
                None => e.bytes(&[0]),
                Some(m) => {
                    e.bytes(&[1, m.status as u8]);
                    e.n(m.plan.cutover_at.0);
                    e.n(m.plan.tranches.len() as u64);
                    for t in &m.plan.tranches {
                        e.u(t.raw());
                    }
                    e.n(u64::from(m.plan.min_idle_bps));
                    match &m.plan.draw_limit {
                        None => e.bytes(&[0]),
                        Some(l) => {
                            e.bytes(&[1]);
                            e.u(l.max_amount.raw());
                            e.u(l.slope.raw());
                        }
                    }
                    e.n(m.plan.buffer_schedule.len() as u64);
                    for b in &m.plan.buffer_schedule {
                        e.u(b.raw());
                    }
                    e.n(u64::from(m.tranches_done));
                    e.u(m.moved.raw());
                    e.u(m.saved.line.raw());
                    for d in [m.saved.mint_key, m.saved.draw_key] {
                        e.u(d.max_amount.raw());
                        e.u(d.slope.raw());
                        e.u(d.last_amount.raw());
                        e.n(d.last_updated.0);
                    }
                    e.n(u64::from(m.saved.min_idle_bps));
                }
            }
        }
    }
}

/// The epoch an instant belongs to: `[16:00 of d−1, 16:00 of d)` is epoch `d`; an instant
/// beyond the supported calendar (after 9999-12-30 16:00 UTC) is a typed revert.
pub fn epoch_of(t: Timestamp) -> CallResult<EpochId> {
    let shifted = Timestamp(t.0.saturating_add(SECONDS_PER_DAY - MOMENT_OFFSET_S));
    EpochId::date_of(shifted).map_err(|_| err(GeneratorRevert::TimeOutOfRange { time: t }))
}

/// Whether `t` is inside a Processing Window (13:00 ≤ time of day < 16:00 UTC).
pub fn in_processing_window(t: Timestamp) -> bool {
    let tod = t.0 % SECONDS_PER_DAY;
    (LOCK_OFFSET_S..MOMENT_OFFSET_S).contains(&tod)
}

fn sym(name: &str) -> CallResult<Symbol> {
    Symbol::new(name).ok_or_else(|| {
        err(GeneratorRevert::UnknownPrime {
            prime: name.to_string(),
        })
    })
}

impl State {
    fn gen_vat(&self) -> CallResult<Address> {
        self.vat_address()
            .ok_or(Revert::Vat(crate::families::vat::VatRevert::NoVat))
    }

    fn gen_reg(&self, reg: Address) -> CallResult<&GeneratorRegistry> {
        self.get::<GeneratorRegistry>(reg)
    }

    fn gen_prime(&self, reg: Address, name: &str) -> CallResult<PrimeEntry> {
        self.ledgers
            .generator
            .primes
            .get_ref(&(reg, sym(name)?))
            .cloned()
            .ok_or_else(|| {
                err(GeneratorRevert::UnknownPrime {
                    prime: name.to_string(),
                })
            })
    }

    fn gen_put(&mut self, reg: Address, name: &str, p: PrimeEntry) -> CallResult<()> {
        let k = (reg, sym(name)?);
        self.ledgers.generator.primes.insert(k, p);
        Ok(())
    }

    fn gen_primes(&self, reg: Address) -> Vec<(String, PrimeEntry)> {
        self.ledgers
            .generator
            .primes
            .range((reg, Symbol::default())..)
            .take_while(|((r, _), _)| *r == reg)
            .map(|((_, n), p)| (n.as_str().to_string(), p.clone()))
            .collect()
    }

    pub(crate) fn gen_register_prime(
        &mut self,
        reg: Address,
        name: &str,
        controller: Address,
        vault: Address,
        legacy_vault: Option<Address>,
    ) -> CallResult<()> {
        let generator_proxy = self.gen_reg(reg)?.proxy;
        let symbol = Symbol::new(name).ok_or_else(|| {
            err(GeneratorRevert::BadPrimeName {
                prime: name.to_string(),
            })
        })?;
        if self.ledgers.generator.primes.contains_key(&(reg, symbol)) {
            return Err(err(GeneratorRevert::PrimeAlreadyRegistered {
                prime: name.to_string(),
            }));
        }
        let c = self.get::<Controller>(controller)?.clone();
        let pv = self.get::<PrimeVault>(vault)?;
        if pv.prime != c.proxy || pv.generator != generator_proxy {
            return Err(err(GeneratorRevert::WrongPau {
                controller,
                proxy: pv.prime,
            }));
        }
        let (legacy_vault, legacy_ilk) = match legacy_vault {
            Some(v) => (v, self.get::<IlkVault>(v)?.ilk),
            None => (Address::ZERO, B256::ZERO),
        };
        if legacy_vault != Address::ZERO && c.ilk_vault != legacy_vault {
            return Err(err(GeneratorRevert::WrongPau {
                controller,
                proxy: c.proxy,
            }));
        }
        self.gen_put(
            reg,
            name,
            PrimeEntry {
                proxy: c.proxy,
                controller,
                rate_limits: c.rate_limits,
                vault,
                legacy_vault,
                legacy_ilk,
                migration: None,
            },
        )?;
        self.emit(
            reg,
            EventKind::GeneratorRegistry(GeneratorEvent::PrimeRegistered {
                prime: symbol_string(name),
                vault,
                ilk: legacy_ilk,
            }),
        );
        Ok(())
    }

    /// `Art·rate` of an ilk [rad] (0 for the zero ilk).
    fn ilk_debt_rad(&self, ilk: B256) -> CallResult<U256> {
        if ilk.is_zero() {
            return Ok(U256::ZERO);
        }
        let vat = self.gen_vat()?;
        let i = self
            .get::<Vat>(vat)?
            .ilks
            .get(&ilk)
            .copied()
            .unwrap_or_default();
        Ok(math::mul(i.art_total.raw(), i.rate.raw())?)
    }

    fn ilk_line(&self, ilk: B256) -> CallResult<U256> {
        let vat = self.gen_vat()?;
        Ok(self
            .get::<Vat>(vat)?
            .ilks
            .get(&ilk)
            .map(|i| i.line.raw())
            .unwrap_or_default())
    }

    /// Legacy-ilk debt of a Prime, rounded up to a wad.
    fn legacy_debt_wad(&self, p: &PrimeEntry) -> CallResult<U256> {
        Ok(math::div_up(self.ilk_debt_rad(p.legacy_ilk)?, RAY)?)
    }

    fn guard_window(&self, step: &'static str) -> CallResult<()> {
        if in_processing_window(self.now) {
            return Err(err(GeneratorRevert::InProcessingWindow {
                step,
                now: self.now,
            }));
        }
        Ok(())
    }

    fn migration_of(&self, p: &PrimeEntry, name: &str) -> CallResult<Migration> {
        p.migration.clone().ok_or_else(|| {
            err(GeneratorRevert::NoPlan {
                prime: name.to_string(),
            })
        })
    }

    fn require_status(m: &Migration, name: &str, want: MigrationStatus) -> CallResult<()> {
        if m.status != want {
            return Err(err(GeneratorRevert::WrongStatus {
                prime: name.to_string(),
                status: m.status.into(),
                required: want.into(),
            }));
        }
        Ok(())
    }

    pub(crate) fn gen_set_plan(
        &mut self,
        reg: Address,
        name: &str,
        plan: MigrationPlan,
    ) -> CallResult<()> {
        let mut p = self.gen_prime(reg, name)?;
        if p.legacy_ilk.is_zero() {
            return Err(err(GeneratorRevert::NoLegacyIlk {
                prime: name.to_string(),
            }));
        }
        if let Some(m) = &p.migration {
            if matches!(m.status, MigrationStatus::DualRun | MigrationStatus::Completed) {
                return Err(err(GeneratorRevert::WrongStatus {
                    prime: name.to_string(),
                    status: m.status.into(),
                    required: "planned, rolled-back or none",
                }));
            }
        }
        if plan.cutover_at < self.now {
            return Err(err(GeneratorRevert::CutoverInPast {
                cutover_at: plan.cutover_at,
                now: self.now,
            }));
        }
        epoch_of(plan.cutover_at)?;
        if in_processing_window(plan.cutover_at) {
            return Err(err(GeneratorRevert::CutoverInProcessingWindow {
                cutover_at: plan.cutover_at,
            }));
        }
        if plan.min_idle_bps > crate::families::prime_vault::BPS {
            return Err(Revert::PrimeVault(
                crate::families::prime_vault::PrimeVaultRevert::BadBps {
                    bps: plan.min_idle_bps,
                },
            ));
        }
        if let Some(i) = plan.tranches.iter().position(|t| t.is_zero()) {
            return Err(err(GeneratorRevert::ZeroTranche { index: i as u32 }));
        }
        let cutover_at = plan.cutover_at;
        let tranches = plan.tranches.len() as u32;
        p.migration = Some(Migration {
            plan,
            status: MigrationStatus::Planned,
            tranches_done: 0,
            moved: Wad::ZERO,
            saved: Saved::default(),
        });
        self.gen_put(reg, name, p)?;
        self.emit(
            reg,
            EventKind::GeneratorRegistry(GeneratorEvent::MigrationPlanSet {
                prime: symbol_string(name),
                cutover_at,
                tranches,
            }),
        );
        Ok(())
    }

    fn set_legacy_line(&mut self, reg: Address, ilk: B256, line: U256) -> CallResult<()> {
        let vat = self.gen_vat()?;
        self.vat_file(vat, reg, Some(ilk), "line", line)
    }

    pub(crate) fn gen_start(&mut self, reg: Address, name: &str) -> CallResult<()> {
        self.guard_window("startMigration")?;
        let mut p = self.gen_prime(reg, name)?;
        let mut m = self.migration_of(&p, name)?;
        Self::require_status(&m, name, MigrationStatus::Planned)?;
        if self.now < m.plan.cutover_at {
            return Err(err(GeneratorRevert::BeforeCutover {
                cutover_at: m.plan.cutover_at,
                now: self.now,
            }));
        }
        let mint_key = limit_id(names::USDS_MINT);
        let draw_key = address_key(limit_id(names::VAULT_DRAW), p.vault);
        m.saved = Saved {
            line: Rad::from_raw(self.ilk_line(p.legacy_ilk)?),
            mint_key: self.rate_limit_data(p.rate_limits, mint_key),
            draw_key: self.rate_limit_data(p.rate_limits, draw_key),
            min_idle_bps: self.get::<PrimeVault>(p.vault)?.min_idle_bps,
        };
        // Close the legacy ilk for new debt: its line falls to the current debt.
        let debt = self.ilk_debt_rad(p.legacy_ilk)?;
        self.set_legacy_line(reg, p.legacy_ilk, debt)?;
        if let Some(l) = m.plan.draw_limit {
            self.rl_set_max_slope(p.rate_limits, reg, draw_key, l.max_amount.raw(), l.slope.raw())?;
        }
        self.pv_set_min_idle_bps(p.vault, reg, m.plan.min_idle_bps)?;
        m.status = MigrationStatus::DualRun;
        p.migration = Some(m);
        self.gen_put(reg, name, p)?;
        self.emit(
            reg,
            EventKind::GeneratorRegistry(GeneratorEvent::MigrationStarted {
                prime: symbol_string(name),
                epoch: epoch_of(self.now)?,
            }),
        );
        Ok(())
    }

    /// One tranche: Generator mints `x` and deposits it; the Prime draws `x` and wipes `x` of
    /// legacy debt; the legacy line follows the debt down.
    pub(crate) fn gen_tranche(&mut self, reg: Address, name: &str) -> CallResult<Wad> {
        self.guard_window("executeTranche")?;
        let r = self.gen_reg(reg)?.clone();
        let mut p = self.gen_prime(reg, name)?;
        let mut m = self.migration_of(&p, name)?;
        Self::require_status(&m, name, MigrationStatus::DualRun)?;
        let i = m.tranches_done as usize;
        let x = *m.plan.tranches.get(i).ok_or_else(|| {
            err(GeneratorRevert::NoTrancheLeft {
                prime: name.to_string(),
                done: m.tranches_done,
            })
        })?;
        let remaining = self.legacy_debt_wad(&p)?;
        if x.raw() > remaining {
            return Err(err(GeneratorRevert::TrancheExceedsLegacyDebt {
                tranche: x.raw(),
                remaining,
            }));
        }
        self.controller_mint_usds(r.controller, reg, x.raw())?;
        self.controller_deposit_4626(r.controller, reg, p.vault, x.raw(), U256::ZERO)?;
        self.controller_draw_prime_vault(p.controller, reg, p.vault, x.raw())?;
        self.controller_burn_usds(p.controller, reg, x.raw())?;
        let debt = self.ilk_debt_rad(p.legacy_ilk)?;
        self.set_legacy_line(reg, p.legacy_ilk, debt)?;
        m.tranches_done += 1;
        m.moved = Wad::from_raw(math::add(m.moved.raw(), x.raw())?);
        let (index, moved) = (m.tranches_done, m.moved);
        p.migration = Some(m);
        self.gen_put(reg, name, p)?;
        self.emit(
            reg,
            EventKind::GeneratorRegistry(GeneratorEvent::TrancheExecuted {
                prime: symbol_string(name),
                index,
                amount_wad: x,
                moved_wad: moved,
            }),
        );
        Ok(x)
    }

    /// Reverses every tranche done (one step): the Prime mints the moved amount back from its
    /// legacy ilk and repays the vault; the Generator withdraws it and burns it. Keys the
    /// reversal needs are opened for this step only and restored exactly afterwards.
    pub(crate) fn gen_rollback(&mut self, reg: Address, name: &str) -> CallResult<Wad> {
        self.guard_window("rollbackMigration")?;
        let r = self.gen_reg(reg)?.clone();
        let mut p = self.gen_prime(reg, name)?;
        let mut m = self.migration_of(&p, name)?;
        if !matches!(m.status, MigrationStatus::DualRun | MigrationStatus::Planned) {
            return Err(err(GeneratorRevert::WrongStatus {
                prime: name.to_string(),
                status: m.status.into(),
                required: "planned or dual-run",
            }));
        }
        let x = m.moved;
        if m.status == MigrationStatus::DualRun {
            let mint_key = limit_id(names::USDS_MINT);
            let repay_key = address_key(limit_id(names::VAULT_REPAY), p.vault);
            let gen_withdraw = address_key(limit_id(names::WITHDRAW_4626), p.vault);
            let gen_rl = self.get::<Controller>(r.controller)?.rate_limits;
            let opened = [
                (p.rate_limits, repay_key),
                (gen_rl, gen_withdraw),
                (p.rate_limits, mint_key),
            ];
            let before: Vec<RateLimitData> = opened
                .iter()
                .map(|(rl, k)| self.rate_limit_data(*rl, *k))
                .collect();
            if !x.is_zero() {
                for (rl, k) in opened {
                    self.rl_set_unlimited(rl, reg, k)?;
                }
                let back = math::add(self.ilk_debt_rad(p.legacy_ilk)?, math::mul(x.raw(), RAY)?)?;
                self.set_legacy_line(reg, p.legacy_ilk, back)?;
                self.controller_mint_usds(p.controller, reg, x.raw())?;
                self.controller_repay_prime_vault(p.controller, reg, p.vault, x.raw())?;
                self.controller_withdraw_4626(r.controller, reg, p.vault, x.raw(), U256::MAX)?;
                self.controller_burn_usds(r.controller, reg, x.raw())?;
            }
            for ((rl, k), d) in opened.iter().zip(before) {
                self.rl_set(*rl, reg, *k, d)?;
            }
            let draw_key = address_key(limit_id(names::VAULT_DRAW), p.vault);
            self.rl_set(p.rate_limits, reg, draw_key, m.saved.draw_key)?;
            self.rl_set(p.rate_limits, reg, mint_key, m.saved.mint_key)?;
            self.set_legacy_line(reg, p.legacy_ilk, m.saved.line.raw())?;
            self.pv_set_min_idle_bps(p.vault, reg, m.saved.min_idle_bps)?;
        }
        m.status = MigrationStatus::RolledBack;
        m.tranches_done = 0;
        m.moved = Wad::ZERO;
        p.migration = Some(m);
        self.gen_put(reg, name, p)?;
        self.emit(
            reg,
            EventKind::GeneratorRegistry(GeneratorEvent::MigrationRolledBack {
                prime: symbol_string(name),
                amount_wad: x,
            }),
        );
        Ok(x)
    }

    pub(crate) fn gen_complete(&mut self, reg: Address, name: &str) -> CallResult<()> {
        self.guard_window("completeMigration")?;
        let mut p = self.gen_prime(reg, name)?;
        let mut m = self.migration_of(&p, name)?;
        Self::require_status(&m, name, MigrationStatus::DualRun)?;
        let debt = self.legacy_debt_wad(&p)?;
        if !debt.is_zero() {
            return Err(err(GeneratorRevert::LegacyDebtRemaining { debt }));
        }
        self.set_legacy_line(reg, p.legacy_ilk, U256::ZERO)?;
        let mint_key = limit_id(names::USDS_MINT);
        self.rl_set(p.rate_limits, reg, mint_key, RateLimitData::default())?;
        if m.plan.draw_limit.is_some() {
            let draw_key = address_key(limit_id(names::VAULT_DRAW), p.vault);
            self.rl_set(p.rate_limits, reg, draw_key, m.saved.draw_key)?;
        }
        m.status = MigrationStatus::Completed;
        p.migration = Some(m);
        self.gen_put(reg, name, p)?;
        self.emit(
            reg,
            EventKind::GeneratorRegistry(GeneratorEvent::MigrationCompleted {
                prime: symbol_string(name),
            }),
        );
        Ok(())
    }

    // ---- views ------------------------------------------------------------------------------

    /// The Generator's book now.
    pub fn generator_book(&self, reg: Address) -> CallResult<Book> {
        let r = self.gen_reg(reg)?;
        let mut vaults = Vec::new();
        let mut value_total = U256::ZERO;
        for (name, p) in self.gen_primes(reg) {
            let shares = self.balance_of(p.vault, r.proxy);
            let value = self.pv_to_assets(p.vault, shares, false)?;
            value_total = math::add(value_total, value)?;
            vaults.push(VaultHolding {
                prime: name,
                vault: p.vault,
                shares_wad: Wad::from_raw(shares),
                value_wad: Wad::from_raw(value),
            });
        }
        let idle = self.balance_of(r.usds, r.proxy);
        let total = math::add(math::add(value_total, idle)?, r.receivables.raw())?;
        let gen_ilk = self.get::<IlkVault>(r.ilk_vault)?.ilk;
        let debt = math::div_up(self.ilk_debt_rad(gen_ilk)?, RAY)?;
        Ok(Book {
            vaults,
            vault_shares_value_wad: Wad::from_raw(value_total),
            idle_usds_wad: Wad::from_raw(idle),
            receivables_wad: r.receivables,
            total_assets_wad: Wad::from_raw(total),
            ilk_debt_wad: Wad::from_raw(debt),
            surplus_wad: Wad::from_raw(total.saturating_sub(debt)),
            shortfall_wad: Wad::from_raw(debt.saturating_sub(total)),
        })
    }

    /// Per Prime: legacy-ilk debt vs vault principal.
    pub fn debt_locations(&self, reg: Address) -> CallResult<Vec<DebtLocation>> {
        self.gen_reg(reg)?;
        let mut out = Vec::new();
        for (name, p) in self.gen_primes(reg) {
            let legacy = self.legacy_debt_wad(&p)?;
            let pos = self.prime_vault_position(p.vault)?;
            out.push(DebtLocation {
                prime: name,
                legacy_ilk: if p.legacy_ilk.is_zero() {
                    String::new()
                } else {
                    ilk_name(p.legacy_ilk)
                },
                legacy_debt_wad: Wad::from_raw(legacy),
                vault_principal_wad: pos.prime_debt_wad,
                total_wad: Wad::from_raw(math::add(legacy, pos.prime_debt_wad.raw())?),
                migration: p.migration.as_ref().map_or("none", |m| m.status.into()),
            });
        }
        Ok(out)
    }

    /// Legacy ilks still live (not migrated to completion), in Prime-name order.
    pub fn compatibility_set(&self, reg: Address) -> CallResult<Vec<String>> {
        self.gen_reg(reg)?;
        Ok(self
            .gen_primes(reg)
            .into_iter()
            .filter(|(_, p)| {
                !p.legacy_ilk.is_zero()
                    && p
                        .migration
                        .as_ref()
                        .is_none_or(|m| m.status != MigrationStatus::Completed)
            })
            .map(|(_, p)| ilk_name(p.legacy_ilk))
            .collect())
    }

    /// The buffer required now: the baseline, raised by any started plan's schedule entry for
    /// the current epoch (index = epochs since the cutover epoch).
    pub fn liquidity_buffer(&self, reg: Address) -> CallResult<BufferStatus> {
        let r = self.gen_reg(reg)?;
        let epoch = epoch_of(self.now)?;
        let mut required = r.min_buffer.raw();
        for (_, p) in self.gen_primes(reg) {
            let Some(m) = &p.migration else { continue };
            if !matches!(m.status, MigrationStatus::DualRun | MigrationStatus::Completed) {
                continue;
            }
            let start = epoch_of(m.plan.cutover_at)?.day_number();
            let idx = epoch.day_number().checked_sub(start);
            if let Some(b) = idx.and_then(|i| m.plan.buffer_schedule.get(i as usize)) {
                required = required.max(b.raw());
            }
        }
        let idle = self.balance_of(r.usds, r.proxy);
        Ok(BufferStatus {
            epoch: epoch.to_string(),
            required_wad: Wad::from_raw(required),
            idle_usds_wad: Wad::from_raw(idle),
            holds: idle >= required,
            headroom_wad: Wad::from_raw(idle.saturating_sub(required)),
            shortfall_wad: Wad::from_raw(required.saturating_sub(idle)),
        })
    }

    pub fn migration_view(&self, reg: Address, name: &str) -> CallResult<MigrationView> {
        let p = self.gen_prime(reg, name)?;
        Ok(MigrationView {
            prime: name.to_string(),
            status: p.migration.as_ref().map_or("none", |m| m.status.into()),
            plan: p.migration.as_ref().map(|m| m.plan.clone()),
            tranches_done: p.migration.as_ref().map_or(0, |m| m.tranches_done),
            moved_wad: p.migration.as_ref().map_or(Wad::ZERO, |m| m.moved),
            legacy_debt_wad: Wad::from_raw(self.legacy_debt_wad(&p)?),
        })
    }
}

/// A Prime's name in an event (inline, no heap: events stay fixed-size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrimeName(pub Symbol);

impl serde::Serialize for PrimeName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// `name` was checked to be a registered Prime (a valid symbol) before any event names it.
fn symbol_string(name: &str) -> PrimeName {
    let s = Symbol::new(name);
    assert!(s.is_some(), "event for an unchecked Prime name '{name}'");
    PrimeName(s.unwrap_or_default())
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum GeneratorRevert {
    #[error("no Prime named '{prime}' is registered with this Generator")]
    #[strum(serialize = "Generator/unknown-prime")]
    UnknownPrime { prime: String },
    #[error("'{prime}' is not a Prime name (1–15 ASCII letters, digits, - _ .)")]
    #[strum(serialize = "Generator/bad-prime-name")]
    BadPrimeName { prime: String },
    #[error("Prime '{prime}' is already registered")]
    #[strum(serialize = "Generator/prime-already-registered")]
    PrimeAlreadyRegistered { prime: String },
    #[error("controller {controller} and proxy/vault {proxy} do not form one PAU with this Generator")]
    #[strum(serialize = "Generator/wrong-pau")]
    WrongPau { controller: Address, proxy: Address },
    #[error("Prime '{prime}' has no legacy ilk to migrate")]
    #[strum(serialize = "Migration/no-legacy-ilk")]
    NoLegacyIlk { prime: String },
    #[error("Prime '{prime}' has no migration plan")]
    #[strum(serialize = "Migration/no-plan")]
    NoPlan { prime: String },
    #[error("migration of '{prime}' is {status}; this step needs {required}")]
    #[strum(serialize = "Migration/wrong-status")]
    WrongStatus {
        prime: String,
        status: &'static str,
        required: &'static str,
    },
    #[error("cutover {cutover_at} is in the past (now {now})")]
    #[strum(serialize = "Migration/cutover-in-past")]
    CutoverInPast { cutover_at: Timestamp, now: Timestamp },
    #[error("cutover {cutover_at} is inside a Processing Window (13:00–16:00 UTC)")]
    #[strum(serialize = "Migration/cutover-in-processing-window")]
    CutoverInProcessingWindow { cutover_at: Timestamp },
    #[error("tranche {index} of the plan is zero")]
    #[strum(serialize = "Migration/zero-tranche")]
    ZeroTranche { index: u32 },
    #[error("the cutover is at {cutover_at}; now is {now}")]
    #[strum(serialize = "Migration/before-cutover")]
    BeforeCutover { cutover_at: Timestamp, now: Timestamp },
    #[error("{step} may not run inside a Processing Window (13:00–16:00 UTC; now {now})")]
    #[strum(serialize = "Migration/in-processing-window")]
    InProcessingWindow { step: &'static str, now: Timestamp },
    #[error("all {done} tranches of '{prime}' are done")]
    #[strum(serialize = "Migration/no-tranche-left")]
    NoTrancheLeft { prime: String, done: u32 },
    #[error("tranche {tranche} is larger than the remaining legacy debt {remaining}")]
    #[strum(serialize = "Migration/tranche-exceeds-legacy-debt")]
    TrancheExceedsLegacyDebt { tranche: U256, remaining: U256 },
    #[error("legacy debt {debt} remains; completion needs 0")]
    #[strum(serialize = "Migration/legacy-debt-remaining")]
    LegacyDebtRemaining { debt: U256 },
    #[error("time {time} is beyond the supported calendar (epochs up to 9999-12-31)")]
    #[strum(serialize = "Generator/time-out-of-range")]
    TimeOutOfRange { time: Timestamp },
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum GeneratorEvent {
    PrimeRegistered {
        prime: PrimeName,
        vault: Address,
        /// zero when the Prime has no legacy ilk
        ilk: B256,
    },
    ReceivablesSet {
        amount_wad: Wad,
    },
    LiquidityBufferSet {
        min_idle_wad: Wad,
    },
    MigrationPlanSet {
        prime: PrimeName,
        cutover_at: Timestamp,
        tranches: u32,
    },
    MigrationStarted {
        prime: PrimeName,
        epoch: EpochId,
    },
    TrancheExecuted {
        prime: PrimeName,
        index: u32,
        amount_wad: Wad,
        moved_wad: Wad,
    },
    MigrationRolledBack {
        prime: PrimeName,
        amount_wad: Wad,
    },
    MigrationCompleted {
        prime: PrimeName,
    },
}
