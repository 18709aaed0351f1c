//! LCTS queues (SPEC §4.9): the SubscribeQueue (sUSDS in, srUSDS out) and the RedeemQueue
//! (srUSDS in, sUSDS out), one contract kind `lcts-queue` with a `side`, each attached to one
//! Holding System.
//!
//! Contract:
//! - At most one current generation per queue; its lifecycle is DORMANT (no generation) →
//!   ACTIVE → LOCKED → (ACTIVE | FINALIZED → DORMANT). A generation is created lazily by the
//!   first entry; the last exit from an ACTIVE generation deletes it (the queue is DORMANT again).
//! - `enter(amount)`: `shares = amount` for a generation with no shares, else
//!   `⌊amount·totalShares/totalUnderlying⌋`; zero amounts and entries worth zero shares revert
//!   (`LCTS/zero-amount`, `LCTS/dust-amount`). One position per user per queue: a position in a
//!   FINALIZED generation is settled first; adding to a position in the current generation pays
//!   its pending rewards first. `enterUsds(amount)` (subscribe side) converts USDS to sUSDS
//!   through the sUSDS vault at its current rate, then enters with the sUSDS.
//! - Rewards: `rewardPerShare` [1e36-scaled] grows at each settlement by
//!   `⌊output·1e36/totalShares⌋`; a position's claimable reward is
//!   `⌊shares·(rewardPerShare − rewardDebt)/1e36⌋ − claimed`, where `rewardDebt` is the
//!   accumulator when the position's shares last changed and `claimed` what it has been paid
//!   since — so a position loses less than one wei to rounding per share change, however often
//!   it claims. (SPEC writes the accumulator at 1e18; 1e36 keeps a settlement's rounding loss
//!   below one wei for any supply below 1e18 tokens.)
//! - `claim()` / `exit()` (claim-and-exit, returning `⌊shares·totalUnderlying/totalShares⌋`) act
//!   only while the position's generation is ACTIVE or FINALIZED; a position in a FINALIZED
//!   generation can always be settled, during the lock too. No user action touches a LOCKED
//!   generation.
//! - `lock()` and `settle(capacity)` by the LPHA_LCTS role only: lock turns ACTIVE into LOCKED
//!   (a DORMANT queue: no-op); settle (LOCKED only) converts `min(capacity, totalUnderlying)`
//!   through the Holding System in O(1) — whatever the number of positions — after the
//!   Holding System's exchange-rate update, then ends FINALIZED (drained; queue DORMANT) or ACTIVE.
//! - A FINALIZED generation never changes again; claims are paid from the queue's balance and
//!   counted in the queue's `rewards_paid` (not in the generation).

use crate::call::{AccessCall, Returns, Value};
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::holding_system::{lpha_lcts_role, HoldingSystem, Side};
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::script::parse_util::{typed_call_with_fallback, ScriptError};
use crate::state::State;
use alloy_primitives::{uint, Address, U256};
use laniakea_units::{math, Wad};
use serde::Deserialize;
use serde_json::Value as Json;

/// The reward accumulator's scale: `rewardPerShare` is reward wei per 1e36 share wei.
pub const REWARD_PRECISION: U256 = uint!(1_000_000_000_000_000_000_000_000_000_000_000_000_U256);

/// A 1e36-scaled accumulator as an exact 36-place decimal (the `_e36` convention of
/// `docs/architecture.md`): `"0.75"` is 0.75·10^36.
fn e36<S: serde::Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&laniakea_units::format_decimal(*v, 36))
}

/// A generation's status (a DORMANT queue has no current generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum GenerationStatus {
    Active,
    Locked,
    Finalized,
}

/// The queue's status: its current generation's, or DORMANT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QueueStatus {
    Dormant,
    Active,
    Locked,
}

/// One generation of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Generation {
    pub status: GenerationStatus,
    pub total_shares_wad: Wad,
    /// underlying still waiting (sUSDS for subscribe, srUSDS for redeem)
    pub total_underlying_wad: Wad,
    /// [1e36-scaled] reward wei per share wei, accumulated over the settlements
    #[serde(serialize_with = "e36")]
    pub reward_per_share_e36: U256,
    /// underlying converted by the settlements so far
    pub converted_wad: Wad,
    /// reward tokens received from the settlements so far
    pub rewards_wad: Wad,
}

/// A user's position in one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub generation: u64,
    pub shares_wad: Wad,
    /// [1e36-scaled] `rewardPerShare` when the shares last changed
    #[serde(serialize_with = "e36")]
    pub reward_debt_e36: U256,
    /// rewards paid since the shares last changed
    pub claimed_wad: Wad,
}

/// A queue's scalar storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LctsQueue {
    pub side: Side,
    pub holding: Address,
    /// what users enter with (sUSDS for subscribe, srUSDS for redeem)
    pub underlying: Address,
    /// what settlements pay (srUSDS for subscribe, sUSDS for redeem)
    pub reward: Address,
    /// the sUSDS vault's asset (USDS) on the subscribe side; zero on the redeem side
    pub usds: Address,
    /// the current generation (0: none — DORMANT)
    pub current: u64,
    /// the last generation id handed out
    pub last_generation: u64,
    /// Σ rewards received by every generation's settlements
    pub rewards_minted_wad: Wad,
    /// Σ rewards paid to positions
    pub rewards_paid_wad: Wad,
}

crate::ledger! {
    /// The queues' generations and positions.
    pub struct LctsQueueLedger {
        /// (queue, generation id) → generation
        pub generations: JournaledMap<(Address, u64), Generation>,
        /// (queue, user) → position
        pub positions: JournaledMap<(Address, Address), Position>,
    }
}

const TAG_GENERATIONS: u8 = 30;
const TAG_POSITIONS: u8 = 31;

/// `deploy: {"kind": "lcts-queue", "side": "subscribe", "holding": "@holding"}` (the deployer
/// must be a ward of the Holding System; the queue is attached to it for its side).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LctsQueueDeploy {
    pub side: Side,
    pub holding: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum LctsQueueCall {
    #[serde(rename = "enter")]
    Enter { amount: Wad },
    /// Subscribe side: USDS, converted to sUSDS first.
    #[serde(rename = "enterUsds")]
    EnterUsds { amount: Wad },
    #[serde(rename = "claim")]
    Claim,
    /// Claim and exit (the whole position).
    #[serde(rename = "exit")]
    Exit,
    #[serde(rename = "lock")]
    Lock,
    #[serde(rename = "settle")]
    Settle { capacity: Wad },
    #[serde(skip_deserializing, untagged)]
    Access(AccessCall),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum LctsQueueView {
    /// Side, status, current generation and its totals, reward counters.
    #[serde(rename = "queue")]
    Queue,
    #[serde(rename = "generation")]
    Generation { id: u64 },
    #[serde(rename = "position")]
    Position { user: Address },
    /// Every position, in address order.
    #[serde(rename = "positions")]
    Positions,
}

/// The `queue` view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueInfo {
    pub side: Side,
    pub status: QueueStatus,
    pub current_generation: Option<u64>,
    /// the current generation (absent when DORMANT)
    pub generation: Option<Generation>,
    pub holding: Address,
    pub underlying: Address,
    pub reward: Address,
    pub positions: u64,
    pub rewards_minted_wad: Wad,
    pub rewards_paid_wad: Wad,
}

/// One position with what it could take now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PositionInfo {
    pub user: Address,
    pub generation: u64,
    pub generation_status: GenerationStatus,
    pub shares_wad: Wad,
    #[serde(serialize_with = "e36")]
    pub reward_debt_e36: U256,
    pub claimed_wad: Wad,
    /// rewards `claim()` would pay (reward token)
    pub claimable_reward_wad: Wad,
    /// underlying `exit()` would return (0 once the generation is FINALIZED)
    pub exit_underlying_wad: Wad,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum LctsQueueAnswer {
    Queue(Box<QueueInfo>),
    Generation(Generation),
    Position(PositionInfo),
    Positions { positions: Vec<PositionInfo> },
}

fn rev(r: LctsRevert) -> Revert {
    Revert::LctsQueue(r)
}

fn wad(name: &'static str, v: Wad) -> (&'static str, Value) {
    (name, Value::Wad(v))
}

impl Family for LctsQueue {
    const LABEL: &'static str = "lcts-queue";
    type Call = LctsQueueCall;
    type Deploy = LctsQueueDeploy;
    type View = LctsQueueView;
    type Answer = LctsQueueAnswer;
    type Revert = LctsRevert;
    type Event = LctsEvent;
    type Ledger = LctsQueueLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_GENERATIONS, TAG_POSITIONS];

    fn deploy(s: &mut State, from: Address, addr: Address, d: &LctsQueueDeploy) -> CallResult<Self> {
        let h = s.get::<HoldingSystem>(d.holding)?.clone();
        s.holding_attach(d.holding, from, addr, d.side)?;
        let (underlying, reward, usds) = match d.side {
            Side::Subscribe => (h.susds, h.srusds, s.vault_asset(h.susds)?),
            Side::Redeem => (h.srusds, h.susds, Address::ZERO),
        };
        Ok(LctsQueue {
            side: d.side,
            holding: d.holding,
            underlying,
            reward,
            usds,
            current: 0,
            last_generation: 0,
            rewards_minted_wad: Wad::ZERO,
            rewards_paid_wad: Wad::ZERO,
        })
    }

    /// The subscribe queue lets the sUSDS vault pull the USDS it converts (as the ilk vault
    /// approves its join).
    fn after_deploy(s: &mut State, _from: Address, addr: Address, _d: &LctsQueueDeploy) -> CallResult<()> {
        let q = s.get::<LctsQueue>(addr)?.clone();
        if q.side == Side::Subscribe {
            s.erc20_approve(q.usds, addr, q.underlying, U256::MAX)?;
        }
        Ok(())
    }

    fn call(s: &mut State, to: Address, from: Address, c: LctsQueueCall) -> CallResult<Returns> {
        match c {
            LctsQueueCall::Enter { amount } => {
                let shares = s.lcts_enter(to, from, amount, false)?;
                Ok(Returns(vec![wad("shares", shares)]))
            }
            LctsQueueCall::EnterUsds { amount } => {
                let shares = s.lcts_enter(to, from, amount, true)?;
                Ok(Returns(vec![wad("shares", shares)]))
            }
            LctsQueueCall::Claim => {
                let r = s.lcts_claim(to, from)?;
                Ok(Returns(vec![wad("reward", r)]))
            }
            LctsQueueCall::Exit => {
                let (u, r) = s.lcts_exit(to, from)?;
                Ok(Returns(vec![wad("underlying", u), wad("reward", r)]))
            }
            LctsQueueCall::Lock => {
                s.require_role(to, lpha_lcts_role(), from)?;
                s.lcts_lock(to)?;
                Ok(Returns::none())
            }
            LctsQueueCall::Settle { capacity } => {
                s.require_role(to, lpha_lcts_role(), from)?;
                let (converted, output) = s.lcts_settle(to, capacity)?;
                Ok(Returns(vec![wad("converted", converted), wad("output", output)]))
            }
            LctsQueueCall::Access(a) => crate::roles::access(s, to, from, a),
        }
    }

    fn view(s: &State, to: Address, v: &LctsQueueView) -> CallResult<LctsQueueAnswer> {
        let q = s.get::<LctsQueue>(to)?;
        Ok(match v {
            LctsQueueView::Queue => {
                let generation = s.lcts_generation(to, q.current);
                LctsQueueAnswer::Queue(Box::new(QueueInfo {
                    side: q.side,
                    status: match generation.map(|g| g.status) {
                        None => QueueStatus::Dormant,
                        Some(GenerationStatus::Locked) => QueueStatus::Locked,
                        Some(_) => QueueStatus::Active,
                    },
                    current_generation: (q.current != 0).then_some(q.current),
                    generation,
                    holding: q.holding,
                    underlying: q.underlying,
                    reward: q.reward,
                    positions: s.lcts_positions(to).count() as u64,
                    rewards_minted_wad: q.rewards_minted_wad,
                    rewards_paid_wad: q.rewards_paid_wad,
                }))
            }
            LctsQueueView::Generation { id } => LctsQueueAnswer::Generation(
                s.lcts_generation(to, *id)
                    .ok_or(rev(LctsRevert::NoGeneration { generation: *id }))?,
            ),
            LctsQueueView::Position { user } => {
                let p = s
                    .ledgers
                    .lcts_queue
                    .positions
                    .get_ref(&(to, *user))
                    .ok_or(rev(LctsRevert::NoPosition { user: *user }))?;
                LctsQueueAnswer::Position(s.lcts_position_info(to, *user, p)?)
            }
            LctsQueueView::Positions => LctsQueueAnswer::Positions {
                positions: s
                    .lcts_positions(to)
                    .map(|(u, p)| s.lcts_position_info(to, u, &p))
                    .collect::<CallResult<Vec<_>>>()?,
            },
        })
    }

    fn parse_call(line: usize, call: Json) -> Result<LctsQueueCall, ScriptError> {
        typed_call_with_fallback(line, call, |c| c, LctsQueueCall::Access)
    }

    fn encode(&self, e: &mut Enc) {
        e.n(match self.side {
            Side::Subscribe => 0,
            Side::Redeem => 1,
        });
        e.a(self.holding);
        e.a(self.underlying);
        e.a(self.reward);
        e.a(self.usds);
        e.n(self.current);
        e.n(self.last_generation);
        e.u(self.rewards_minted_wad.raw());
        e.u(self.rewards_paid_wad.raw());
    }

    /// (An empty section writes nothing: `Enc::tag`, see `digest`.)
    fn encode_ledger(l: &LctsQueueLedger, tag: u8, e: &mut Enc) {
        match tag {
            TAG_GENERATIONS => {
                e.tag(TAG_GENERATIONS, l.generations.len());
                for ((q, id), g) in l.generations.iter() {
                    e.a(*q);
                    e.n(*id);
                    e.n(match g.status {
                        GenerationStatus::Active => 0,
                        GenerationStatus::Locked => 1,
                        GenerationStatus::Finalized => 2,
                    });
                    e.u(g.total_shares_wad.raw());
                    e.u(g.total_underlying_wad.raw());
                    e.u(g.reward_per_share_e36);
                    e.u(g.converted_wad.raw());
                    e.u(g.rewards_wad.raw());
                }
            }
            TAG_POSITIONS => {
                e.tag(TAG_POSITIONS, l.positions.len());
                for ((q, u), p) in l.positions.iter() {
                    e.a(*q);
                    e.a(*u);
                    e.n(p.generation);
                    e.u(p.shares_wad.raw());
                    e.u(p.reward_debt_e36);
                    e.u(p.claimed_wad.raw());
                }
            }
            _ => unreachable!("lcts ledger has no digest tag {tag}"),
        }
    }

    /// SPEC §8 invariant 6 on one queue's state.
    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        let mut shares = U256::ZERO;
        let mut owed = U256::ZERO;
        for (user, p) in s.lcts_positions(addr) {
            let Some(g) = s.lcts_generation(addr, p.generation) else {
                out.push(format!("inv6: queue {addr}: position of {user} in missing generation {}", p.generation));
                continue;
            };
            if p.generation == self.current {
                shares = shares.saturating_add(p.shares_wad.raw());
            } else if g.status != GenerationStatus::Finalized {
                out.push(format!("inv6: queue {addr}: position of {user} in generation {} which is neither current nor finalized", p.generation));
            }
            match s.lcts_position_info(addr, user, &p) {
                Ok(i) => owed = owed.saturating_add(i.claimable_reward_wad.raw()),
                Err(e) => out.push(format!("inv6: queue {addr}: position of {user}: {e}")),
            }
        }
        let current = s.lcts_generation(addr, self.current);
        match current {
            Some(g) => {
                if g.status == GenerationStatus::Finalized {
                    out.push(format!("inv6: queue {addr}: current generation {} is finalized", self.current));
                }
                if g.total_shares_wad.raw() != shares {
                    out.push(format!("inv6: queue {addr}: generation {} has {} shares, positions hold {shares}", self.current, g.total_shares_wad));
                }
                if g.total_underlying_wad.is_zero() || g.total_shares_wad.is_zero() {
                    out.push(format!("inv6: queue {addr}: current generation {} is empty", self.current));
                }
                if s.balance_of(self.underlying, addr) < g.total_underlying_wad.raw() {
                    out.push(format!("inv6: queue {addr}: holds less underlying than generation {} counts", self.current));
                }
            }
            None if self.current != 0 => {
                out.push(format!("inv6: queue {addr}: current generation {} missing", self.current));
            }
            None => {}
        }
        if self.rewards_paid_wad > self.rewards_minted_wad {
            out.push(format!("inv6: queue {addr}: rewards paid {} exceed rewards minted {}", self.rewards_paid_wad, self.rewards_minted_wad));
        }
        let unpaid = self.rewards_minted_wad.raw().saturating_sub(self.rewards_paid_wad.raw());
        if owed > unpaid || s.balance_of(self.reward, addr) < unpaid {
            out.push(format!("inv6: queue {addr}: rewards owed {owed} / unpaid {unpaid} not covered by its balance {}", s.balance_of(self.reward, addr)));
        }
    }
}

impl State {
    fn lcts_generation(&self, queue: Address, id: u64) -> Option<Generation> {
        self.ledgers.lcts_queue.generations.get_ref(&(queue, id)).copied()
    }

    fn lcts_positions(&self, queue: Address) -> impl Iterator<Item = (Address, Position)> + '_ {
        self.ledgers
            .lcts_queue
            .positions
            .range((queue, Address::ZERO)..=(queue, Address::repeat_byte(0xff)))
            .map(|((_, u), p)| (*u, *p))
    }

    fn lcts_position_info(&self, queue: Address, user: Address, p: &Position) -> CallResult<PositionInfo> {
        let g = self.lcts_generation(queue, p.generation);
        assert!(g.is_some(), "a position's generation exists (positions are removed with it)");
        let g = g.unwrap_or(Generation {
            status: GenerationStatus::Finalized,
            total_shares_wad: Wad::ZERO,
            total_underlying_wad: Wad::ZERO,
            reward_per_share_e36: U256::ZERO,
            converted_wad: Wad::ZERO,
            rewards_wad: Wad::ZERO,
        });
        let exit_underlying = if g.status == GenerationStatus::Finalized || g.total_shares_wad.is_zero() {
            Wad::ZERO
        } else {
            p.shares_wad.mul_div_floor(g.total_underlying_wad.raw(), g.total_shares_wad.raw())?
        };
        Ok(PositionInfo {
            user,
            generation: p.generation,
            generation_status: g.status,
            shares_wad: p.shares_wad,
            reward_debt_e36: p.reward_debt_e36,
            claimed_wad: p.claimed_wad,
            claimable_reward_wad: pending(p, &g)?,
            exit_underlying_wad: exit_underlying,
        })
    }

    fn lcts_set_generation(&mut self, queue: Address, id: u64, g: Generation) {
        self.ledgers.lcts_queue.generations.insert((queue, id), g);
    }

    /// Pays `amount` of the queue's reward token to `user` and counts it.
    fn lcts_pay_reward(&mut self, queue: Address, user: Address, amount: Wad) -> CallResult<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let q = self.get_mut::<LctsQueue>(queue)?;
        q.rewards_paid_wad = q.rewards_paid_wad.checked_add(amount)?;
        let reward = q.reward;
        self.erc20_move(reward, queue, user, amount.raw())
    }

    /// Settles a position in a FINALIZED generation: pays its rewards, removes it.
    fn lcts_settle_finalized(&mut self, queue: Address, user: Address, p: Position) -> CallResult<Wad> {
        let g = self.lcts_generation(queue, p.generation);
        assert!(
            g.is_some_and(|g| g.status == GenerationStatus::Finalized),
            "a position outside the current generation is in a finalized one"
        );
        let r = match g {
            Some(g) => pending(&p, &g)?,
            None => Wad::ZERO,
        };
        self.ledgers.lcts_queue.positions.remove(&(queue, user));
        self.lcts_pay_reward(queue, user, r)?;
        self.emit(
            queue,
            EventKind::LctsQueue(LctsEvent::LctsPositionSettled {
                user,
                generation: p.generation,
                shares_wad: p.shares_wad,
                reward_wad: r,
            }),
        );
        Ok(r)
    }

    pub(crate) fn lcts_enter(&mut self, queue: Address, user: Address, amount: Wad, usds: bool) -> CallResult<Wad> {
        if amount.is_zero() {
            return Err(rev(LctsRevert::ZeroAmount));
        }
        let q = self.get::<LctsQueue>(queue)?.clone();
        let current = self.lcts_generation(queue, q.current);
        if let Some(g) = current {
            if g.status == GenerationStatus::Locked {
                return Err(rev(LctsRevert::GenerationLocked {
                    generation: q.current,
                }));
            }
        }
        // Take the underlying (converting USDS through the sUSDS vault first).
        let underlying = if usds {
            if q.side != Side::Subscribe {
                return Err(rev(LctsRevert::UsdsOnlyToSubscribe));
            }
            self.erc20_transfer_from(q.usds, queue, user, queue, amount.raw())?;
            let susds = Wad::from_raw(self.vault_deposit(q.underlying, queue, amount.raw(), queue)?);
            if susds.is_zero() {
                return Err(rev(LctsRevert::DustAmount { amount }));
            }
            susds
        } else {
            self.erc20_transfer_from(q.underlying, queue, user, queue, amount.raw())?;
            amount
        };
        // One position per user: settle a finalized one first.
        let mut existing = self
            .ledgers
            .lcts_queue
            .positions
            .get_ref(&(queue, user))
            .copied();
        if let Some(p) = existing {
            if p.generation != q.current {
                self.lcts_settle_finalized(queue, user, p)?;
                existing = None;
            }
        }
        // Lazy generation creation (stored once, below).
        let (id, mut g) = match current {
            Some(g) => (q.current, g),
            None => {
                let id = q.last_generation + 1;
                let m = self.get_mut::<LctsQueue>(queue)?;
                m.current = id;
                m.last_generation = id;
                (
                    id,
                    Generation {
                        status: GenerationStatus::Active,
                        total_shares_wad: Wad::ZERO,
                        total_underlying_wad: Wad::ZERO,
                        reward_per_share_e36: U256::ZERO,
                        converted_wad: Wad::ZERO,
                        rewards_wad: Wad::ZERO,
                    },
                )
            }
        };
        let shares = if g.total_shares_wad.is_zero() {
            underlying
        } else {
            assert!(!g.total_underlying_wad.is_zero(), "a generation with shares has underlying");
            underlying.mul_div_floor(g.total_shares_wad.raw(), g.total_underlying_wad.raw())?
        };
        if shares.is_zero() {
            return Err(rev(LctsRevert::DustAmount { amount }));
        }
        let position = match existing {
            Some(p) => {
                let r = pending(&p, &g)?;
                self.lcts_pay_reward(queue, user, r)?;
                Position {
                    generation: id,
                    shares_wad: p.shares_wad.checked_add(shares)?,
                    reward_debt_e36: g.reward_per_share_e36,
                    claimed_wad: Wad::ZERO,
                }
            }
            None => Position {
                generation: id,
                shares_wad: shares,
                reward_debt_e36: g.reward_per_share_e36,
                claimed_wad: Wad::ZERO,
            },
        };
        self.ledgers.lcts_queue.positions.insert((queue, user), position);
        g.total_shares_wad = g.total_shares_wad.checked_add(shares)?;
        g.total_underlying_wad = g.total_underlying_wad.checked_add(underlying)?;
        self.lcts_set_generation(queue, id, g);
        self.emit(
            queue,
            EventKind::LctsQueue(LctsEvent::LctsEnter {
                user,
                generation: id,
                underlying_wad: underlying,
                shares_wad: shares,
            }),
        );
        Ok(shares)
    }

    fn lcts_position(&self, queue: Address, user: Address) -> CallResult<Position> {
        self.ledgers
            .lcts_queue
            .positions
            .get_ref(&(queue, user))
            .copied()
            .ok_or(rev(LctsRevert::NoPosition { user }))
    }

    /// The position and its generation, refusing a LOCKED one.
    fn lcts_unlocked(&self, queue: Address, user: Address) -> CallResult<(Position, Generation)> {
        let p = self.lcts_position(queue, user)?;
        let g = self.lcts_generation(queue, p.generation);
        let Some(g) = g else {
            unreachable!("a position's generation exists")
        };
        if g.status == GenerationStatus::Locked {
            return Err(rev(LctsRevert::GenerationLocked { generation: p.generation }));
        }
        Ok((p, g))
    }

    pub(crate) fn lcts_claim(&mut self, queue: Address, user: Address) -> CallResult<Wad> {
        let (mut p, g) = self.lcts_unlocked(queue, user)?;
        if g.status == GenerationStatus::Finalized {
            return self.lcts_settle_finalized(queue, user, p);
        }
        let r = pending(&p, &g)?;
        p.claimed_wad = p.claimed_wad.checked_add(r)?;
        self.ledgers.lcts_queue.positions.insert((queue, user), p);
        self.lcts_pay_reward(queue, user, r)?;
        self.emit(
            queue,
            EventKind::LctsQueue(LctsEvent::LctsClaim {
                user,
                generation: p.generation,
                reward_wad: r,
            }),
        );
        Ok(r)
    }

    pub(crate) fn lcts_exit(&mut self, queue: Address, user: Address) -> CallResult<(Wad, Wad)> {
        let underlying = self.get::<LctsQueue>(queue)?.underlying;
        let (p, mut g) = self.lcts_unlocked(queue, user)?;
        if g.status == GenerationStatus::Finalized {
            return Ok((Wad::ZERO, self.lcts_settle_finalized(queue, user, p)?));
        }
        let r = pending(&p, &g)?;
        let out = p.shares_wad.mul_div_floor(g.total_underlying_wad.raw(), g.total_shares_wad.raw())?;
        g.total_shares_wad = g.total_shares_wad.checked_sub(p.shares_wad)?;
        g.total_underlying_wad = g.total_underlying_wad.checked_sub(out)?;
        self.ledgers.lcts_queue.positions.remove(&(queue, user));
        if g.total_shares_wad.is_zero() {
            // The last exit: the generation ends, the queue is DORMANT again.
            assert!(g.total_underlying_wad.is_zero(), "the last exit takes all the underlying");
            self.ledgers.lcts_queue.generations.remove(&(queue, p.generation));
            self.get_mut::<LctsQueue>(queue)?.current = 0;
        } else {
            self.lcts_set_generation(queue, p.generation, g);
        }
        self.erc20_move(underlying, queue, user, out.raw())?;
        self.lcts_pay_reward(queue, user, r)?;
        self.emit(
            queue,
            EventKind::LctsQueue(LctsEvent::LctsExit {
                user,
                generation: p.generation,
                shares_wad: p.shares_wad,
                underlying_wad: out,
                reward_wad: r,
            }),
        );
        Ok((out, r))
    }

    pub(crate) fn lcts_lock(&mut self, queue: Address) -> CallResult<()> {
        let current = self.get::<LctsQueue>(queue)?.current;
        let Some(mut g) = self.lcts_generation(queue, current) else {
            return Ok(()); // DORMANT: no-op
        };
        if g.status != GenerationStatus::Active {
            return Err(rev(LctsRevert::NotActive { generation: current }));
        }
        g.status = GenerationStatus::Locked;
        self.lcts_set_generation(queue, current, g);
        self.emit(
            queue,
            EventKind::LctsQueue(LctsEvent::LctsLock {
                generation: current,
                total_underlying_wad: g.total_underlying_wad,
                total_shares_wad: g.total_shares_wad,
            }),
        );
        Ok(())
    }

    /// O(1): touches the generation, the queue and the Holding System, never the positions.
    pub(crate) fn lcts_settle(&mut self, queue: Address, capacity: Wad) -> CallResult<(Wad, Wad)> {
        let q = self.get::<LctsQueue>(queue)?.clone();
        let mut g = match self.lcts_generation(queue, q.current) {
            Some(g) if g.status == GenerationStatus::Locked => g,
            _ => return Err(rev(LctsRevert::NotLocked)),
        };
        self.holding_update_rate(q.holding)?;
        let convert = capacity.min(g.total_underlying_wad);
        let output = if convert.is_zero() {
            Wad::ZERO
        } else {
            match q.side {
                Side::Subscribe => self.holding_subscribe(q.holding, queue, convert)?,
                Side::Redeem => self.holding_redeem(q.holding, queue, convert)?,
            }
        };
        if !output.is_zero() {
            let inc = math::mul_div_floor(output.raw(), REWARD_PRECISION, g.total_shares_wad.raw())?;
            g.reward_per_share_e36 = math::add(g.reward_per_share_e36, inc)?;
        }
        g.total_underlying_wad = g.total_underlying_wad.checked_sub(convert)?;
        g.converted_wad = g.converted_wad.checked_add(convert)?;
        g.rewards_wad = g.rewards_wad.checked_add(output)?;
        let finalized = g.total_underlying_wad.is_zero();
        g.status = if finalized {
            GenerationStatus::Finalized
        } else {
            GenerationStatus::Active
        };
        self.lcts_set_generation(queue, q.current, g);
        let m = self.get_mut::<LctsQueue>(queue)?;
        m.rewards_minted_wad = m.rewards_minted_wad.checked_add(output)?;
        if finalized {
            m.current = 0;
        }
        self.emit(
            queue,
            EventKind::LctsQueue(LctsEvent::LctsSettle(Box::new(LctsSettled {
                generation: q.current,
                capacity_wad: capacity,
                converted_wad: convert,
                output_wad: output,
                reward_per_share_e36: g.reward_per_share_e36,
                remaining_wad: g.total_underlying_wad,
                finalized,
            }))),
        );
        Ok((convert, output))
    }
}

/// `⌊shares·(rewardPerShare − rewardDebt)/1e36⌋ − claimed`.
fn pending(p: &Position, g: &Generation) -> CallResult<Wad> {
    let per = math::sub(g.reward_per_share_e36, p.reward_debt_e36)?;
    let earned = math::mul_div_floor(p.shares_wad.raw(), per, REWARD_PRECISION)?;
    Ok(Wad::from_raw(math::sub(earned, p.claimed_wad.raw())?))
}

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum LctsRevert {
    #[error("amount is zero")]
    #[strum(serialize = "LCTS/zero-amount")]
    ZeroAmount,
    #[error("{amount} is worth zero shares (dust)")]
    #[strum(serialize = "LCTS/dust-amount")]
    DustAmount { amount: Wad },
    #[error("generation {generation} is LOCKED: no entry, claim or exit until it settles")]
    #[strum(serialize = "LCTS/generation-locked")]
    GenerationLocked { generation: u64 },
    #[error("{user} has no position in this queue")]
    #[strum(serialize = "LCTS/no-position")]
    NoPosition { user: Address },
    #[error("no generation {generation} in this queue")]
    #[strum(serialize = "LCTS/no-generation")]
    NoGeneration { generation: u64 },
    #[error("generation {generation} is not ACTIVE, so it cannot be locked")]
    #[strum(serialize = "LCTS/not-active")]
    NotActive { generation: u64 },
    #[error("the queue is not LOCKED: settle only inside the lock")]
    #[strum(serialize = "LCTS/not-locked")]
    NotLocked,
    #[error("USDS can enter only the subscribe queue")]
    #[strum(serialize = "LCTS/usds-only-to-subscribe")]
    UsdsOnlyToSubscribe,
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum LctsEvent {
    LctsEnter {
        user: Address,
        generation: u64,
        underlying_wad: Wad,
        shares_wad: Wad,
    },
    LctsClaim {
        user: Address,
        generation: u64,
        reward_wad: Wad,
    },
    LctsExit {
        user: Address,
        generation: u64,
        shares_wad: Wad,
        underlying_wad: Wad,
        reward_wad: Wad,
    },
    /// A position in a FINALIZED generation paid out and removed.
    LctsPositionSettled {
        user: Address,
        generation: u64,
        shares_wad: Wad,
        reward_wad: Wad,
    },
    LctsLock {
        generation: u64,
        total_underlying_wad: Wad,
        total_shares_wad: Wad,
    },
    /// Boxed: a rare event, kept out of the fixed-size event enum.
    LctsSettle(Box<LctsSettled>),
}

/// The fields of [`LctsEvent::LctsSettle`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LctsSettled {
    pub generation: u64,
    pub capacity_wad: Wad,
    pub converted_wad: Wad,
    pub output_wad: Wad,
    #[serde(serialize_with = "e36")]
    pub reward_per_share_e36: U256,
    pub remaining_wad: Wad,
    pub finalized: bool,
}
