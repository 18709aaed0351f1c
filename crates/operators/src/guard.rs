//! The processing-window guard (SPEC §3 "the lock is enforced twice", §5.6).
//!
//! Contract: every transaction an operator or relayer submits is wrapped in an [`Action`] — the
//! chain [`Tx`] plus its declared [`Purpose`] — and passes [`Guard::check`] before it reaches the
//! chain. The guard
//! - classifies the action into one of the seven [`ActionClass`]es. The declared purpose must be
//!   one the call can have (a `removeRelayer` cannot be declared a payment, a `transferAsset`
//!   cannot be declared an emergency removal): a purpose the call cannot have is refused at any
//!   time (`guard/purpose-mismatch`), so mislabelling never opens the window. A `normal` move of
//!   funds at or above the reallocation threshold is classified `reallocation`. A rate-limit
//!   setter declared as an emergency decrease is checked against the chain (through the seam
//!   only): it must lower neither bound above the current one (`guard/not-a-decrease`);
//! - refuses, in `[13:00, 16:00)` UTC of every day, every class but `settlement-critical` and
//!   `emergency-removal`, with [`GuardError::ProcessingWindow`] naming the window and the rule.
//!   The guard runs every UTC day, skipped epochs included: a skip cancels a settlement, not the
//!   daily discipline (decision recorded in `docs/operators.md`).
//!
//! A refusal is logged as a Synome record by [`refusal_draft`] (kind `incident`, payload kind
//! `guard-refusal`, written in the `govops` role: the Synome has no dedicated refusal kind and
//! the `operator` role may not write incidents). The guard never submits anything itself.

use alloy_primitives::Address;
use laniakea_chain::call::{AccessCall, ControllerCall, RateLimitsCall};
use laniakea_chain::families::holding_system::HoldingSystemCall;
use laniakea_chain::families::lcts_queue::LctsQueueCall;
use laniakea_chain::families::rate_limits::{RateLimitsAnswer, RateLimitsView};
use laniakea_chain::{Answer, Call, Chain, Query, Tx};
use laniakea_chain::{EngineError, Receipt};
use laniakea_settlement::EpochId;
use laniakea_synome::{Draft, Kind, Provenance, Store, Synome, SynomeError, Writer};
use laniakea_units::{human, Timestamp, Wad};
use serde::Serialize;
use thiserror::Error;

/// Seconds after midnight UTC at which the Processing Window opens (13:00) and closes (16:00).
pub const WINDOW_OPEN_S: u64 = 13 * 3600;
pub const WINDOW_CLOSE_S: u64 = 16 * 3600;
const DAY_S: u64 = 86_400;

/// The seven classes of SPEC §5.6.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ActionClass {
    SettlementCritical,
    EmergencyRemoval,
    GovernanceChange,
    Onboarding,
    Reallocation,
    MigrationStep,
    Normal,
}

impl ActionClass {
    pub fn name(self) -> &'static str {
        self.into()
    }
    /// Whether the class may run inside the Processing Window.
    pub fn allowed_in_window(self) -> bool {
        matches!(
            self,
            ActionClass::SettlementCritical | ActionClass::EmergencyRemoval
        )
    }
}

/// What the submitter says the action is for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Purpose {
    // settlement-critical
    SettlementPayment,
    Distribution,
    Attestation,
    LctsLock,
    LctsSettle,
    // emergency-removal
    RateLimitDecrease,
    RelayerRemoval,
    InitDeletion,
    CbeamRevocation,
    TimelockPause,
    // the rest, one purpose per class
    GovernanceChange,
    Onboarding,
    Reallocation,
    MigrationStep,
    Normal,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        self.into()
    }
    /// The class a purpose belongs to (before the size threshold).
    pub fn class(self) -> ActionClass {
        use Purpose::*;
        match self {
            SettlementPayment | Distribution | Attestation | LctsLock | LctsSettle => {
                ActionClass::SettlementCritical
            }
            RateLimitDecrease | RelayerRemoval | InitDeletion | CbeamRevocation | TimelockPause => {
                ActionClass::EmergencyRemoval
            }
            GovernanceChange => ActionClass::GovernanceChange,
            Onboarding => ActionClass::Onboarding,
            Reallocation => ActionClass::Reallocation,
            MigrationStep => ActionClass::MigrationStep,
            Normal => ActionClass::Normal,
        }
    }
}

/// A transaction with its declared purpose: the unit the guard judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub tx: Tx,
    pub purpose: Purpose,
}

/// A refused action. Every variant has a stable [`GuardError::code`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GuardError {
    #[error(
        "{class} action ({purpose}, {call} from {from}) refused at {at_human}: inside the Processing Window of epoch {epoch} [13:00, 16:00) UTC only settlement-critical and emergency-removal actions are allowed (SPEC §5.6)",
        class = class.name(), purpose = purpose.name(), at_human = human::utc(*at)
    )]
    ProcessingWindow {
        epoch: EpochId,
        at: Timestamp,
        class: ActionClass,
        purpose: Purpose,
        call: String,
        from: Address,
    },
    #[error(
        "purpose '{purpose}' does not fit the call {call}: a {call} may only be declared as one of [{allowed}] (SPEC §5.6: every action is classified by what it does)",
        purpose = purpose.name()
    )]
    PurposeMismatch {
        purpose: Purpose,
        call: String,
        allowed: String,
    },
    #[error(
        "{call} declared a rate-limit decrease raises the limit (max {current_max} → {new_max}, slope {current_slope} → {new_slope}): only a lowering is an emergency removal"
    )]
    NotADecrease {
        call: String,
        current_max: Wad,
        new_max: Wad,
        current_slope: Wad,
        new_slope: Wad,
    },
    #[error("could not read the rate limit that {call} changes: {reason}")]
    Unreadable { call: String, reason: String },
}

impl GuardError {
    pub fn code(&self) -> &'static str {
        match self {
            GuardError::ProcessingWindow { .. } => "guard/processing-window",
            GuardError::PurposeMismatch { .. } => "guard/purpose-mismatch",
            GuardError::NotADecrease { .. } => "guard/not-a-decrease",
            GuardError::Unreadable { .. } => "guard/unreadable-state",
        }
    }
}

/// Whether `t` falls inside a Processing Window (`[13:00, 16:00)` UTC of its day).
pub fn in_processing_window(t: Timestamp) -> bool {
    let s = t.0 % DAY_S;
    (WINDOW_OPEN_S..WINDOW_CLOSE_S).contains(&s)
}

/// The guard's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// A `normal` move of funds of at least this much is a `reallocation` [wad].
    pub reallocation_threshold_wad: Wad,
}

/// A call's short name (`Controller.transferAsset`) for messages and records.
pub fn call_name(call: &Call) -> String {
    let dbg = format!("{call:?}");
    // `Family(0x…, Variant { … })` → `Family.Variant`; `Deploy(Family(…))` → `Deploy.Family`.
    let family: String = dbg.chars().take_while(|c| c.is_alphanumeric()).collect();
    let rest = &dbg[family.len()..];
    let inner = match rest.find(", ") {
        Some(i) if family != "Deploy" => &rest[i + 2..],
        _ => rest.trim_start_matches('('),
    };
    let variant: String = inner.chars().take_while(|c| c.is_alphanumeric()).collect();
    format!("{family}.{variant}")
}

/// A move of funds and its size, if the call is one.
fn moved_amount(call: &Call) -> Option<Wad> {
    match call {
        Call::Controller(_, c) => match c {
            ControllerCall::MintUsds { amount }
            | ControllerCall::BurnUsds { amount }
            | ControllerCall::TransferAsset { amount, .. } => Some(*amount),
            ControllerCall::Deposit4626 { assets, .. }
            | ControllerCall::Withdraw4626 { assets, .. } => Some(*assets),
            ControllerCall::Redeem4626 { shares, .. } => Some(*shares),
            _ => None,
        },
        _ => None,
    }
}

/// The purposes a call may be declared with.
fn allowed_purposes(call: &Call) -> &'static [Purpose] {
    use Purpose::*;
    const FUNDS: &[Purpose] = &[Reallocation, MigrationStep, Normal];
    const PAYMENT: &[Purpose] = &[
        SettlementPayment,
        Distribution,
        Reallocation,
        MigrationStep,
        Normal,
    ];
    const GOVERN: &[Purpose] = &[GovernanceChange, Onboarding, MigrationStep];
    const LIMIT_SET: &[Purpose] = &[
        RateLimitDecrease,
        GovernanceChange,
        Onboarding,
        MigrationStep,
    ];
    const REVOKE: &[Purpose] = &[
        RelayerRemoval,
        CbeamRevocation,
        GovernanceChange,
        MigrationStep,
    ];
    match call {
        Call::Deploy(_) => &[Onboarding, MigrationStep],
        Call::Controller(_, c) => match c {
            ControllerCall::TransferAsset { .. } => PAYMENT,
            ControllerCall::RemoveRelayer { .. } => &[RelayerRemoval],
            ControllerCall::SetMaxExchangeRate { .. } => GOVERN,
            ControllerCall::Access(AccessCall::RevokeRole { .. }) => REVOKE,
            ControllerCall::Access(AccessCall::GrantRole { .. }) => GOVERN,
            _ => FUNDS,
        },
        Call::RateLimits(_, c) => match c {
            RateLimitsCall::Set { .. } | RateLimitsCall::SetMaxSlope { .. } => LIMIT_SET,
            RateLimitsCall::Access(AccessCall::RevokeRole { .. }) => REVOKE,
            RateLimitsCall::SetUnlimited { .. } | RateLimitsCall::Access(_) => GOVERN,
            RateLimitsCall::Decrease { .. } | RateLimitsCall::Increase { .. } => FUNDS,
        },
        // lpha-lcts: the lock, the settles and the rate update that precedes them.
        Call::LctsQueue(_, LctsQueueCall::Lock) => &[LctsLock],
        Call::LctsQueue(_, LctsQueueCall::Settle { .. })
        | Call::HoldingSystem(_, HoldingSystemCall::UpdateExchangeRate) => &[LctsSettle],
        Call::AlmProxy(_, AccessCall::RevokeRole { .. }) => REVOKE,
        Call::AlmProxy(_, AccessCall::GrantRole { .. }) => GOVERN,
        // Every other call (MCD files, token admin, sUSDS, ilk vaults) is configuration or a
        // user-level flow: never settlement-critical, never an emergency removal.
        _ => &[
            GovernanceChange,
            Onboarding,
            Reallocation,
            MigrationStep,
            Normal,
        ],
    }
}

impl Guard {
    /// Classifies an action (checking the purpose against the call); reads the chain only to
    /// confirm a declared rate-limit decrease.
    pub fn classify(&self, chain: &dyn Chain, a: &Action) -> Result<ActionClass, GuardError> {
        let call = call_name(&a.tx.call);
        let allowed = allowed_purposes(&a.tx.call);
        if !allowed.contains(&a.purpose) {
            return Err(GuardError::PurposeMismatch {
                purpose: a.purpose,
                call,
                allowed: allowed
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if a.purpose == Purpose::RateLimitDecrease {
            self.confirm_decrease(chain, &a.tx.call, &call)?;
        }
        let class = a.purpose.class();
        if class == ActionClass::Normal
            && moved_amount(&a.tx.call).is_some_and(|m| m >= self.reallocation_threshold_wad)
        {
            return Ok(ActionClass::Reallocation);
        }
        Ok(class)
    }

    fn confirm_decrease(&self, chain: &dyn Chain, c: &Call, call: &str) -> Result<(), GuardError> {
        let (rl, key, new_max, new_slope) = match c {
            Call::RateLimits(
                rl,
                RateLimitsCall::SetMaxSlope {
                    key,
                    max_amount,
                    slope,
                },
            )
            | Call::RateLimits(
                rl,
                RateLimitsCall::Set {
                    key,
                    max_amount,
                    slope,
                    ..
                },
            ) => (*rl, *key, *max_amount, *slope),
            _ => {
                return Err(GuardError::Unreadable {
                    call: call.to_string(),
                    reason: "not a rate-limit setter".into(),
                })
            }
        };
        let answer = chain
            .view(
                rl,
                &Query::RateLimits(RateLimitsView::RateLimitData { key }),
            )
            .map_err(|e| GuardError::Unreadable {
                call: call.to_string(),
                reason: format!("{}: {e}", e.code()),
            })?;
        let Answer::RateLimits(RateLimitsAnswer::Data {
            max_amount, slope, ..
        }) = answer
        else {
            return Err(GuardError::Unreadable {
                call: call.to_string(),
                reason: format!("unexpected answer {answer:?}"),
            });
        };
        if new_max > max_amount || new_slope > slope {
            return Err(GuardError::NotADecrease {
                call: call.to_string(),
                current_max: max_amount,
                new_max,
                current_slope: slope,
                new_slope,
            });
        }
        Ok(())
    }

    /// Classifies the action and refuses it if its class is not allowed at its block time.
    pub fn check(&self, chain: &dyn Chain, a: &Action) -> Result<ActionClass, GuardError> {
        let class = self.classify(chain, a)?;
        if in_processing_window(a.tx.at) && !class.allowed_in_window() {
            let epoch = EpochId::date_of(a.tx.at).map_err(|e| GuardError::Unreadable {
                call: call_name(&a.tx.call),
                reason: format!("block time: {e}"),
            })?;
            return Err(GuardError::ProcessingWindow {
                epoch,
                at: a.tx.at,
                class,
                purpose: a.purpose,
                call: call_name(&a.tx.call),
                from: a.tx.from,
            });
        }
        Ok(class)
    }
}

/// The Synome record of a refusal: an `incident` (payload kind `guard-refusal`) at the refused
/// block time, in the epoch of that day, subject `global`, system-derived.
pub fn refusal_draft(a: &Action, e: &GuardError) -> Draft {
    let description = format!("{}: {e}", e.code());
    let mut d = Draft::new(
        Kind::Incident,
        "global",
        a.tx.at,
        Provenance::SystemDerived,
        serde_json::json!({
            "kind": "guard-refusal",
            "description": description,
        }),
    );
    if let Ok(epoch) = EpochId::date_of(a.tx.at) {
        d = d.epoch(epoch);
    }
    d
}

/// Why a guarded submission did not reach the chain.
#[derive(Debug, Error)]
pub enum SubmitError {
    /// Refused by the guard; the refusal record is stored.
    #[error("{error}")]
    Refused { error: GuardError },
    /// Refused by the guard, and the refusal record could not be stored.
    #[error("{error}; the refusal could not be recorded: {synome}")]
    RefusedUnrecorded {
        error: GuardError,
        synome: SynomeError,
    },
    #[error("chain: {0}")]
    Chain(EngineError),
}

impl SubmitError {
    pub fn code(&self) -> &'static str {
        match self {
            SubmitError::Refused { error } | SubmitError::RefusedUnrecorded { error, .. } => {
                error.code()
            }
            SubmitError::Chain(_) => "guard/chain",
        }
    }
}

/// The one door every operator and relayer action goes through: the guard checks it; a
/// refusal is recorded (by `recorder`, in the `govops` role) and nothing is submitted; an
/// allowed action is submitted (a revert is a receipt, as on the seam).
pub fn submit<S: Store>(
    guard: &Guard,
    chain: &mut dyn Chain,
    syn: &mut Synome<S>,
    recorder: &Writer,
    action: Action,
) -> Result<Receipt, SubmitError> {
    if let Err(error) = guard.check(chain, &action) {
        return Err(
            match syn.write(recorder, vec![refusal_draft(&action, &error)]) {
                Ok(_) => SubmitError::Refused { error },
                Err(synome) => SubmitError::RefusedUnrecorded { error, synome },
            },
        );
    }
    chain.submit(action.tx).map_err(SubmitError::Chain)
}
