//! ERC-20 semantics for every token-like contract (USDS, sUSDS shares, srUSDS, test assets).
//!
//! Contract: balances and total supply move together (Σ balances = totalSupply, SPEC §8.1);
//! an allowance of `2^256−1` is infinite and never decreases (as in USDS/sUSDS); transfers to the
//! zero address or to the token itself revert; mint/burn by wards only (burn of another's
//! balance spends the allowance).

use crate::call::{Returns, Value};
use crate::contracts::Symbol;
use crate::digest::Enc;
use crate::error::{CallResult, Revert};
use crate::event::EventKind;
use crate::families::Family;
use crate::journal::JournaledMap;
use crate::roles::ADMIN_ROLE;
use crate::state::State;
use alloy_primitives::{Address, U256};
use laniakea_units::{math, Wad};
use serde::Deserialize;

/// ERC-20 scalar storage (balances/allowances live in [`TokenLedger`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erc20 {
    pub symbol: Symbol,
    /// token base units (18 decimals)
    pub total_supply: Wad,
}

crate::ledger! {
    /// The ERC-20 mappings of every token-like contract (plain tokens and vault shares).
    pub struct TokenLedger {
        /// (token, holder) → balance (every token has 18 decimals: a wad)
        pub balances: JournaledMap<(Address, Address), Wad>,
        /// (token, owner, spender) → allowance [wad]
        pub allowances: JournaledMap<(Address, Address, Address), Wad>,
    }
}

/// `deploy: {"kind": "erc20", "symbol": "USDS"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Erc20Deploy {
    pub symbol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum Erc20Call {
    #[serde(rename = "transfer")]
    Transfer { to: Address, amount: Wad },
    #[serde(rename = "transferFrom")]
    TransferFrom {
        from: Address,
        to: Address,
        amount: Wad,
    },
    #[serde(rename = "approve")]
    Approve { spender: Address, amount: Wad },
    #[serde(rename = "mint")]
    Mint { to: Address, amount: Wad },
    #[serde(rename = "burn")]
    Burn { from: Address, amount: Wad },
    #[serde(rename = "rely")]
    Rely { usr: Address },
    #[serde(rename = "deny")]
    Deny { usr: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum TokenView {
    #[serde(rename = "balanceOf")]
    BalanceOf { account: Address },
    #[serde(rename = "totalSupply")]
    TotalSupply,
    #[serde(rename = "allowance")]
    Allowance { owner: Address, spender: Address },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum TokenAnswer {
    Balance {
        balance: Wad,
    },
    TotalSupply {
        #[serde(rename = "totalSupply")]
        total_supply: Wad,
    },
    Allowance {
        allowance: Wad,
    },
}

/// The ERC-20 views, shared by every token-like family (sUSDS shares too).
pub(crate) fn token_view(s: &State, to: Address, v: &TokenView) -> CallResult<TokenAnswer> {
    Ok(match v {
        TokenView::BalanceOf { account } => TokenAnswer::Balance {
            balance: Wad::from_raw(s.balance_of(to, *account)),
        },
        TokenView::TotalSupply => TokenAnswer::TotalSupply {
            total_supply: Wad::from_raw(s.total_supply(to)?),
        },
        TokenView::Allowance { owner, spender } => TokenAnswer::Allowance {
            allowance: Wad::from_raw(s.allowance(to, *owner, *spender)),
        },
    })
}

/// Digest section tags of [`TokenLedger`].
const TAG_BALANCES: u8 = 2;
const TAG_ALLOWANCES: u8 = 3;

impl Family for Erc20 {
    const LABEL: &'static str = "erc20";
    type Call = Erc20Call;
    type Deploy = Erc20Deploy;
    type View = TokenView;
    type Answer = TokenAnswer;
    type Revert = TokenRevert;
    type Event = TokenEvent;
    type Ledger = TokenLedger;
    const LEDGER_TAGS: &'static [u8] = &[TAG_BALANCES, TAG_ALLOWANCES];

    fn validate_deploy(d: &Erc20Deploy) -> Result<(), (&'static str, String)> {
        Symbol::parse(&d.symbol)
            .map(|_| ())
            .map_err(|e| ("symbol", e.to_string()))
    }

    fn deploy(_s: &mut State, _from: Address, _addr: Address, d: &Erc20Deploy) -> CallResult<Self> {
        Ok(Erc20 {
            symbol: Symbol::parse(&d.symbol)?,
            total_supply: Wad::ZERO,
        })
    }

    fn call(s: &mut State, to: Address, from: Address, c: Erc20Call) -> CallResult<Returns> {
        erc20_call(s, to, from, c)
    }

    fn view(s: &State, to: Address, v: &TokenView) -> CallResult<TokenAnswer> {
        token_view(s, to, v)
    }

    fn encode(&self, e: &mut Enc) {
        e.bytes(self.symbol.as_str().as_bytes());
        e.u(self.total_supply.raw());
    }

    fn encode_ledger(l: &TokenLedger, tag: u8, e: &mut Enc) {
        match tag {
            TAG_BALANCES => {
                // grouped by token: (token, holder count, (holder, balance)…)
                let mut groups: Vec<(Address, Vec<(Address, U256)>)> = Vec::new();
                for ((t, who), bal) in l.balances.iter() {
                    match groups.last_mut() {
                        Some((last, entries)) if last == t => entries.push((*who, bal.raw())),
                        _ => groups.push((*t, vec![(*who, bal.raw())])),
                    }
                }
                e.tag(TAG_BALANCES, groups.len());
                for (t, entries) in groups {
                    e.a(t);
                    e.n(entries.len() as u64);
                    for (who, bal) in entries {
                        e.a(who);
                        e.u(bal);
                    }
                }
            }
            TAG_ALLOWANCES => {
                e.tag(TAG_ALLOWANCES, l.allowances.len());
                for ((t, o, sp), v) in l.allowances.iter() {
                    e.a(*t);
                    e.a(*o);
                    e.a(*sp);
                    e.u(v.raw());
                }
            }
            _ => unreachable!("token ledger has no digest tag {tag}"),
        }
    }

    fn erc20(&self) -> Option<&Erc20> {
        Some(self)
    }
    fn erc20_mut(&mut self) -> Option<&mut Erc20> {
        Some(self)
    }

    fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
        check_supply(s, addr, self, out);
    }
}

/// SPEC §8.1: Σ balances = totalSupply.
pub(crate) fn check_supply(s: &State, addr: Address, t: &Erc20, out: &mut Vec<String>) {
    let sum = s
        .holders(addr)
        .try_fold(U256::ZERO, |acc, (_, b)| acc.checked_add(b));
    if sum != Some(t.total_supply.raw()) {
        out.push(format!(
            "inv1: token {addr}: sum of balances {sum:?} != totalSupply {}",
            t.total_supply
        ));
    }
}

/// The ERC-20 functions, shared by every token-like family (sUSDS shares too).
pub(crate) fn erc20_call(
    s: &mut State,
    to: Address,
    from: Address,
    c: Erc20Call,
) -> CallResult<Returns> {
    match c {
        Erc20Call::Transfer { to: dst, amount } => s.erc20_move(to, from, dst, amount.raw())?,
        Erc20Call::TransferFrom {
            from: src,
            to: dst,
            amount,
        } => s.erc20_transfer_from(to, from, src, dst, amount.raw())?,
        Erc20Call::Approve { spender, amount } => s.erc20_approve(to, from, spender, amount.raw())?,
        Erc20Call::Mint { to: dst, amount } => s.erc20_mint(to, from, dst, amount.raw())?,
        Erc20Call::Burn { from: src, amount } => s.erc20_burn(to, from, src, amount.raw())?,
        Erc20Call::Rely { usr } => s.rely(to, from, usr)?,
        Erc20Call::Deny { usr } => s.deny(to, from, usr)?,
    }
    Ok(Returns::one("success", Value::Bool(true)))
}

impl State {
    pub fn balance_of(&self, token: Address, who: Address) -> U256 {
        self.ledgers.token.balances.get(&(token, who)).raw()
    }

    pub(crate) fn set_balance(&mut self, token: Address, who: Address, v: U256) {
        self.ledgers.token.balances.set((token, who), Wad::from_raw(v));
    }

    pub fn allowance(&self, token: Address, owner: Address, spender: Address) -> U256 {
        self.ledgers.token.allowances.get(&(token, owner, spender)).raw()
    }

    pub(crate) fn set_allowance(
        &mut self,
        token: Address,
        owner: Address,
        spender: Address,
        v: U256,
    ) {
        self.ledgers
            .token
            .allowances
            .set((token, owner, spender), Wad::from_raw(v));
    }

    /// Every holder balance of a token, in address order.
    pub fn holders(&self, token: Address) -> impl Iterator<Item = (Address, U256)> + '_ {
        self.ledgers
            .token
            .balances
            .range((token, Address::ZERO)..=(token, Address::repeat_byte(0xff)))
            .map(|((_, a), b)| (*a, b.raw()))
    }

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
        Ok(self.erc20(token)?.total_supply.raw())
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
            return Err(Revert::Erc20(TokenRevert::InvalidRecipient));
        }
        let bal = self.balance_of(token, from);
        if bal < amount {
            return Err(Revert::Erc20(TokenRevert::InsufficientBalance {
                account: from,
                balance: bal,
                needed: amount,
            }));
        }
        if from != to {
            self.set_balance(token, from, bal - amount);
            let to_bal = math::add(self.balance_of(token, to), amount)?;
            self.set_balance(token, to, to_bal);
        }
        self.emit(
            token,
            EventKind::Erc20(TokenEvent::Transfer {
                from,
                to,
                value_wad: Wad::from_raw(amount),
            }),
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
                return Err(Revert::Erc20(TokenRevert::InsufficientAllowance {
                    owner,
                    spender,
                    allowance: allowed,
                    needed: amount,
                }));
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
            EventKind::Erc20(TokenEvent::Approval {
                owner,
                spender,
                value_wad: Wad::from_raw(amount),
            }),
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
            return Err(Revert::Erc20(TokenRevert::InvalidRecipient));
        }
        let supply = math::add(self.erc20(token)?.total_supply.raw(), amount)?;
        let bal = math::add(self.balance_of(token, to), amount)?;
        self.erc20_set_supply(token, supply)?;
        self.set_balance(token, to, bal);
        self.emit(
            token,
            EventKind::Erc20(TokenEvent::Transfer {
                from: Address::ZERO,
                to,
                value_wad: Wad::from_raw(amount),
            }),
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
            return Err(Revert::Erc20(TokenRevert::InsufficientBalance {
                account: from,
                balance: bal,
                needed: amount,
            }));
        }
        let supply = math::sub(self.erc20(token)?.total_supply.raw(), amount)?;
        self.erc20_set_supply(token, supply)?;
        self.set_balance(token, from, bal - amount);
        self.emit(
            token,
            EventKind::Erc20(TokenEvent::Transfer {
                from,
                to: Address::ZERO,
                value_wad: Wad::from_raw(amount),
            }),
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
        t.total_supply = Wad::from_raw(supply);
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

/// This family's revert reasons (codes in `#[strum(serialize)]`, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames)]
pub enum TokenRevert {
    #[error("balance of {account} is {balance}, needs {needed}")]
    #[strum(serialize = "ERC20/insufficient-balance")]
    InsufficientBalance {
        account: Address,
        balance: U256,
        needed: U256,
    },
    #[error("allowance of {spender} from {owner} is {allowance}, needs {needed}")]
    #[strum(serialize = "ERC20/insufficient-allowance")]
    InsufficientAllowance {
        owner: Address,
        spender: Address,
        allowance: U256,
        needed: U256,
    },
    #[error("transfer to the zero address or the token itself")]
    #[strum(serialize = "ERC20/invalid-address")]
    InvalidRecipient,
    #[error("'{0}' is not a token symbol (1–15 letters, digits, - _ .)")]
    #[strum(serialize = "Token/invalid-symbol")]
    InvalidSymbol(String),
}

/// This family's events (JSON `{"event": "<Name>", …}`; names stable).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[serde(tag = "event")]
pub enum TokenEvent {
    Transfer {
        from: Address,
        to: Address,
        value_wad: Wad,
    },
    Approval {
        owner: Address,
        spender: Address,
        value_wad: Wad,
    },
}
