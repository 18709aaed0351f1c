//! Deploying one Configurator scope (timelock + state + configurator) over a set of PAUs, for
//! the system builder: `deploy_scope(chain, admin, paus, params)`.
//!
//! Contract: everything goes through the typed chain seam as ordinary transactions from `admin`
//! at the chain's current time (so the digest and the event log show the deployment), in this
//! order: deploy the BEAMTimeLock, the BEAMState and the Configurator; for each PAU grant the
//! Configurator the admin role on its ALMProxy, Controller and RateLimits (`admin` must hold it),
//! register the PAU and grant the listed GovOps their cBEAM through the state's bootstrap; end the
//! bootstrap (from then on additions need the timelock). The first failing step is returned with
//! its revert; the transactions before it stay applied (a builder treats this as fatal).

use crate::call::{AccessCall, Call, Deploy, Role, Tx, Value};
use crate::error::EngineError;
use crate::families::beam_state::{BeamStateCall, BeamStateDeploy};
use crate::families::beam_timelock::{BeamTimeLockDeploy, TimelockOp};
use crate::families::configurator::ConfiguratorDeploy;
use crate::roles::ADMIN_ROLE;
use crate::seam::Chain;
use alloy_primitives::Address;

/// One PAU as the scope needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauAddresses {
    pub proxy: Address,
    pub controller: Address,
    pub rate_limits: Address,
}

/// The scope's parameters (defaults: SPEC §4.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeParams {
    pub delay_s: u64,
    pub hop_s: u64,
    pub max_change_bps: u64,
    /// (pau proxy, govops): cBEAM grants made at deployment.
    pub govops: Vec<(Address, Address)>,
}

impl Default for ScopeParams {
    fn default() -> Self {
        ScopeParams {
            delay_s: crate::families::beam_timelock::DEFAULT_DELAY_S,
            hop_s: crate::families::beam_state::DEFAULT_HOP_S,
            max_change_bps: crate::families::beam_state::DEFAULT_MAX_CHANGE_BPS,
            govops: Vec::new(),
        }
    }
}

/// The deployed scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub timelock: Address,
    pub state: Address,
    pub configurator: Address,
}

/// Why a scope could not be deployed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope deployment step '{step}': {source}")]
    Engine {
        step: &'static str,
        source: EngineError,
    },
    #[error("scope deployment step '{step}' reverted: {code}: {reason}")]
    Reverted {
        step: &'static str,
        code: &'static str,
        reason: String,
    },
}

fn send<C: Chain>(
    chain: &mut C,
    from: Address,
    step: &'static str,
    call: Call,
) -> Result<Option<Address>, ScopeError> {
    let at = chain.now();
    let r = chain
        .submit(Tx { from, at, call })
        .map_err(|source| ScopeError::Engine { step, source })?;
    match r.outcome {
        Ok(ret) => Ok(match ret.get("address") {
            Some(Value::Address(a)) => Some(*a),
            _ => None,
        }),
        Err(rev) => Err(ScopeError::Reverted {
            step,
            code: rev.code(),
            reason: rev.to_string(),
        }),
    }
}

fn deployed(a: Option<Address>, step: &'static str) -> Result<Address, ScopeError> {
    a.ok_or(ScopeError::Reverted {
        step,
        code: "Engine/no-contract",
        reason: "the deployment returned no address".into(),
    })
}

/// Deploys one scope managing `paus` (see the module contract).
pub fn deploy_scope<C: Chain>(
    chain: &mut C,
    admin: Address,
    paus: &[PauAddresses],
    params: &ScopeParams,
) -> Result<Scope, ScopeError> {
    let step = "deploy beam-timelock";
    let timelock = deployed(
        send(
            chain,
            admin,
            step,
            Call::Deploy(Deploy::BeamTimeLock(BeamTimeLockDeploy {
                delay_s: params.delay_s,
            })),
        )?,
        step,
    )?;
    let step = "deploy beam-state";
    let state = deployed(
        send(
            chain,
            admin,
            step,
            Call::Deploy(Deploy::BeamState(BeamStateDeploy {
                timelock,
                hop_s: params.hop_s,
                max_change_bps: params.max_change_bps,
                allow_above_100_pct: false,
            })),
        )?,
        step,
    )?;
    let step = "deploy configurator";
    let configurator = deployed(
        send(
            chain,
            admin,
            step,
            Call::Deploy(Deploy::Configurator(ConfiguratorDeploy { state })),
        )?,
        step,
    )?;
    let grant = AccessCall::GrantRole {
        role: Role(ADMIN_ROLE),
        account: configurator,
    };
    let bootstrap = |op| Call::BeamState(state, BeamStateCall::Bootstrap {
            operation: Box::new(op),
        });
    for p in paus {
        send(chain, admin, "grant admin on proxy", Call::AlmProxy(p.proxy, grant.clone()))?;
        send(
            chain,
            admin,
            "grant admin on controller",
            Call::Controller(
                p.controller,
                crate::call::ControllerCall::Access(grant.clone()),
            ),
        )?;
        send(
            chain,
            admin,
            "grant admin on rate limits",
            Call::RateLimits(
                p.rate_limits,
                crate::call::RateLimitsCall::Access(grant.clone()),
            ),
        )?;
        send(
            chain,
            admin,
            "register pau",
            bootstrap(TimelockOp::RegisterPau {
                state,
                pau: p.proxy,
                controller: p.controller,
                rate_limits: p.rate_limits,
            }),
        )?;
    }
    for (pau, govops) in &params.govops {
        send(
            chain,
            admin,
            "grant cbeam",
            bootstrap(TimelockOp::GrantCbeam {
                state,
                pau: *pau,
                govops: *govops,
            }),
        )?;
    }
    send(
        chain,
        admin,
        "end bootstrap",
        Call::BeamState(state, BeamStateCall::EndBootstrap),
    )?;
    Ok(Scope {
        timelock,
        state,
        configurator,
    })
}
