//! Role ids and access control (OpenZeppelin `AccessControl` for the PAU, MCD `wards` elsewhere).
//!
//! Contract: role ids are the keccak-256 values the Solidity contracts use (`RELAYER` =
//! `keccak256("RELAYER")`, the admin role is `0x00`), so they compare equal to values read on
//! Ethereum. MCD `wards[x] = 1` is stored as `x` holding the admin role of that contract.

use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::state::State;
use alloy_primitives::{keccak256, Address, B256};
use std::sync::LazyLock;

/// `DEFAULT_ADMIN_ROLE` (`0x00`); also MCD `wards`.
pub const ADMIN_ROLE: B256 = B256::ZERO;

/// `keccak256(name)` for an ASCII role name.
pub fn role_id(name: &str) -> B256 {
    keccak256(name.as_bytes())
}

static RELAYER: LazyLock<B256> = LazyLock::new(|| role_id("RELAYER"));
static FREEZER: LazyLock<B256> = LazyLock::new(|| role_id("FREEZER"));
static CONTROLLER: LazyLock<B256> = LazyLock::new(|| role_id("CONTROLLER"));

pub fn relayer_role() -> B256 {
    *RELAYER
}
pub fn freezer_role() -> B256 {
    *FREEZER
}
pub fn controller_role() -> B256 {
    *CONTROLLER
}

/// Parses a role given by name (`ADMIN`/`DEFAULT_ADMIN_ROLE`, `RELAYER`, `FREEZER`,
/// `CONTROLLER`, `LPHA_LCTS`) or as a 0x-prefixed 32-byte hex id.
pub fn parse_role(text: &str) -> Option<B256> {
    match text {
        "ADMIN" | "DEFAULT_ADMIN_ROLE" => Some(ADMIN_ROLE),
        "RELAYER" | "FREEZER" | "CONTROLLER" | "LPHA_LCTS" => Some(role_id(text)),
        t if t.starts_with("0x") && t.len() == 66 => t.parse().ok(),
        _ => None,
    }
}

/// `grantRole`/`revokeRole` on any AccessControl contract.
pub(crate) fn access(
    s: &mut State,
    to: Address,
    from: Address,
    c: crate::call::AccessCall,
) -> CallResult<crate::call::Returns> {
    match c {
        crate::call::AccessCall::GrantRole { role, account } => {
            s.grant_role(to, from, role.0, account)?
        }
        crate::call::AccessCall::RevokeRole { role, account } => {
            s.revoke_role(to, from, role.0, account)?
        }
    }
    Ok(crate::call::Returns::none())
}

impl State {
    pub(crate) fn require_role(
        &self,
        contract: Address,
        role: B256,
        who: Address,
    ) -> CallResult<()> {
        if self.has_role(contract, role, who) {
            Ok(())
        } else {
            Err(Revert::MissingRole {
                contract,
                account: who,
                role,
            })
        }
    }

    /// `grantRole`: admin only.
    pub(crate) fn grant_role(
        &mut self,
        contract: Address,
        caller: Address,
        role: B256,
        account: Address,
    ) -> CallResult<()> {
        self.contract(contract)?;
        self.configurator_guard(contract, caller)?;
        self.require_role(contract, ADMIN_ROLE, caller)?;
        if !self.set_role(contract, role, account, true) {
            self.emit(
                contract,
                EventKind::RoleGranted {
                    role,
                    account,
                    sender: caller,
                },
            );
        }
        Ok(())
    }

    /// `revokeRole`: admin only.
    pub(crate) fn revoke_role(
        &mut self,
        contract: Address,
        caller: Address,
        role: B256,
        account: Address,
    ) -> CallResult<()> {
        self.contract(contract)?;
        self.configurator_guard(contract, caller)?;
        self.require_role(contract, ADMIN_ROLE, caller)?;
        if self.set_role(contract, role, account, false) {
            self.emit(
                contract,
                EventKind::RoleRevoked {
                    role,
                    account,
                    sender: caller,
                },
            );
        }
        Ok(())
    }

    /// MCD `rely`.
    pub(crate) fn rely(
        &mut self,
        contract: Address,
        caller: Address,
        usr: Address,
    ) -> CallResult<()> {
        self.contract(contract)?;
        self.require_ward(contract, caller)?;
        self.set_role(contract, ADMIN_ROLE, usr, true);
        self.emit(contract, EventKind::Rely { usr });
        Ok(())
    }

    /// MCD `deny`.
    pub(crate) fn deny(
        &mut self,
        contract: Address,
        caller: Address,
        usr: Address,
    ) -> CallResult<()> {
        self.contract(contract)?;
        self.require_ward(contract, caller)?;
        self.set_role(contract, ADMIN_ROLE, usr, false);
        self.emit(contract, EventKind::Deny { usr });
        Ok(())
    }
}
