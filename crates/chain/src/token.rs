//! ERC-20 semantics for every token-like contract (USDS, sUSDS shares, srUSDS, test assets).
//!
//! Contract: balances and total supply move together (Σ balances = totalSupply, SPEC §8.1);
//! an allowance of `2^256−1` is infinite and never decreases (as in USDS/sUSDS); transfers to the
//! zero address or to the token itself revert; mint/burn by wards only (burn of another's
//! balance spends the allowance).

use crate::contracts::Erc20;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::roles::ADMIN_ROLE;
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Wad};

impl State {
    /// The ERC-20 view of `token` (plain token or sUSDS shares).
    pub fn erc20(&self, token: Address) -> CallResult<&Erc20> {
        let c = self.contract(token)?;
        c.erc20().ok_or(Revert::WrongContractKind {
            contract: token,
            expected: "erc20",
            actual: c.kind(),
        })
    }

    pub fn total_supply(&self, token: Address) -> CallResult<U256> {
        Ok(self.erc20(token)?.total_supply)
    }

    /// Moves `amount` from `from` to `to` with no allowance check (the caller already did it).
    pub(crate) fn erc20_move(
        &mut self,
        token: Address,
        from: Address,
        to: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.erc20(token)?;
        if to == Address::ZERO || to == token {
            return Err(Revert::InvalidRecipient);
        }
        let bal = self.balance_of(token, from);
        if bal < amount {
            return Err(Revert::InsufficientBalance {
                account: from,
                balance: bal,
                needed: amount,
            });
        }
        if from != to {
            self.set_balance(token, from, bal - amount);
            let to_bal = math::add(self.balance_of(token, to), amount)?;
            self.set_balance(token, to, to_bal);
        }
        self.emit(
            token,
            EventKind::Transfer {
                from,
                to,
                value_wad: Wad(amount),
            },
        );
        Ok(())
    }

    pub(crate) fn erc20_spend_allowance(
        &mut self,
        token: Address,
        owner: Address,
        spender: Address,
        amount: U256,
    ) -> CallResult<()> {
        if owner == spender {
            return Ok(());
        }
        let allowed = self.allowance(token, owner, spender);
        if allowed != U256::MAX {
            if allowed < amount {
                return Err(Revert::InsufficientAllowance {
                    owner,
                    spender,
                    allowance: allowed,
                    needed: amount,
                });
            }
            self.set_allowance(token, owner, spender, allowed - amount);
        }
        Ok(())
    }

    pub(crate) fn erc20_transfer_from(
        &mut self,
        token: Address,
        spender: Address,
        from: Address,
        to: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.erc20_spend_allowance(token, from, spender, amount)?;
        self.erc20_move(token, from, to, amount)
    }

    pub(crate) fn erc20_approve(
        &mut self,
        token: Address,
        owner: Address,
        spender: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.erc20(token)?;
        self.set_allowance(token, owner, spender, amount);
        self.emit(
            token,
            EventKind::Approval {
                owner,
                spender,
                value_wad: Wad(amount),
            },
        );
        Ok(())
    }

    /// Mints without an authorisation check (internal: joins, vault share issuance).
    pub(crate) fn erc20_mint_unchecked(
        &mut self,
        token: Address,
        to: Address,
        amount: U256,
    ) -> CallResult<()> {
        if to == Address::ZERO || to == token {
            return Err(Revert::InvalidRecipient);
        }
        let supply = math::add(self.erc20(token)?.total_supply, amount)?;
        let bal = math::add(self.balance_of(token, to), amount)?;
        self.erc20_set_supply(token, supply)?;
        self.set_balance(token, to, bal);
        self.emit(
            token,
            EventKind::Transfer {
                from: Address::ZERO,
                to,
                value_wad: Wad(amount),
            },
        );
        Ok(())
    }

    /// Burns without an authorisation check (internal).
    pub(crate) fn erc20_burn_unchecked(
        &mut self,
        token: Address,
        from: Address,
        amount: U256,
    ) -> CallResult<()> {
        let bal = self.balance_of(token, from);
        if bal < amount {
            return Err(Revert::InsufficientBalance {
                account: from,
                balance: bal,
                needed: amount,
            });
        }
        let supply = math::sub(self.erc20(token)?.total_supply, amount)?;
        self.erc20_set_supply(token, supply)?;
        self.set_balance(token, from, bal - amount);
        self.emit(
            token,
            EventKind::Transfer {
                from,
                to: Address::ZERO,
                value_wad: Wad(amount),
            },
        );
        Ok(())
    }

    fn erc20_set_supply(&mut self, token: Address, supply: U256) -> CallResult<()> {
        let c = self.contract_mut(token)?;
        let kind = c.kind();
        let t = c.erc20_mut().ok_or(Revert::WrongContractKind {
            contract: token,
            expected: "erc20",
            actual: kind,
        })?;
        t.total_supply = supply;
        Ok(())
    }

    /// Public `mint(to, amount)`: wards only.
    pub(crate) fn erc20_mint(
        &mut self,
        token: Address,
        caller: Address,
        to: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.require_ward(token, caller)?;
        self.erc20_mint_unchecked(token, to, amount)
    }

    /// Public `burn(from, amount)`: anyone may burn their own balance, or another's with allowance.
    pub(crate) fn erc20_burn(
        &mut self,
        token: Address,
        caller: Address,
        from: Address,
        amount: U256,
    ) -> CallResult<()> {
        self.erc20_spend_allowance(token, from, caller, amount)?;
        self.erc20_burn_unchecked(token, from, amount)
    }

    pub(crate) fn require_ward(&self, contract: Address, who: Address) -> CallResult<()> {
        if self.has_role(contract, ADMIN_ROLE, who) {
            Ok(())
        } else {
            Err(Revert::NotAuthorized {
                contract,
                who,
                what: "ward",
            })
        }
    }
}
