//! Contract families and THE registry: one folder per family, one line per family below.
//!
//! Contract: a family is a folder `families/<module>/` whose `mod.rs` defines one contract struct
//! (its scalar storage) implementing [`Family`]: its label, typed call and deploy arguments, its
//! ledger (journalled mappings), its dispatch, deploy and digest encoding, its script parse and
//! its invariant checks. The [`registry!`] line list at the bottom of this file is the only place
//! that names all families; it generates the shared [`Contract`], [`Call`] and [`Deploy`] enums,
//! the label list, dispatch, the per-family ledgers in the state, the digest arms and the script's
//! deploy kinds. See `docs/architecture.md`, "How to add a contract family".

use crate::call::Returns;
use crate::digest::Enc;
use crate::error::CallResult;
use crate::journal::Journaled;
use crate::roles::ADMIN_ROLE;
use crate::script::parse_util::{typed, typed_call, ScriptError};
use crate::state::State;
use alloy_primitives::Address;
use alloy_primitives::B256;
use laniakea_units::{MathError, Rad, Ray};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use std::fmt::Debug;

/// One contract family. Implemented by the family's contract struct (its scalar storage).
pub trait Family: Sized + Clone + Debug + PartialEq + Eq + 'static {
    /// The stable kind label (script `deploy.kind`, `Deployed.kind`, digest tag, errors).
    const LABEL: &'static str;
    /// The transactions this family accepts (serde form `{"fn", "args"}`).
    type Call: DeserializeOwned + serde::Serialize + Clone + Debug + PartialEq + Eq;
    /// The deploy arguments (serde form: the `deploy` object without `kind`).
    type Deploy: DeserializeOwned + serde::Serialize + Clone + Debug + PartialEq + Eq;
    /// The read-only queries this family answers (serde form `{"fn", "args"}`).
    type View: DeserializeOwned + Clone + Debug + PartialEq + Eq;
    /// Typed answers to [`Family::View`] (serialised as `{"name": value}` in script output).
    type Answer: serde::Serialize + Clone + Debug + PartialEq + Eq;
    /// The family's own revert reasons ([`Nothing`] if none).
    type Revert: std::error::Error + Clone + Debug + PartialEq + Eq + Named + 'static;
    /// The family's own events ([`Nothing`] if none).
    type Event: serde::Serialize + Clone + Debug + PartialEq + Eq + Named;
    /// The family's mappings: a `ledger!` struct (or [`crate::journal::NoLedger`]).
    type Ledger: Journaled + Default + Debug;

    /// Digest section tags of the ledger (unique across families; core uses 1, 4, 9).
    const LEDGER_TAGS: &'static [u8] = &[];

    /// Builds the new contract at `addr` (checks the arguments; may create helper contracts).
    fn deploy(s: &mut State, from: Address, addr: Address, d: &Self::Deploy) -> CallResult<Self>;

    /// Runs after the contract is stored, its deployer made admin and `Deployed` emitted.
    fn after_deploy(
        _s: &mut State,
        _from: Address,
        _addr: Address,
        _d: &Self::Deploy,
    ) -> CallResult<()> {
        Ok(())
    }

    /// One transaction to the contract at `to` (already checked to be of this family).
    fn call(s: &mut State, to: Address, from: Address, c: Self::Call) -> CallResult<Returns>;

    /// One query to the contract at `to` (already checked to be of this family).
    fn view(s: &State, to: Address, v: &Self::View) -> CallResult<Self::Answer>;

    /// Parses a script view (`{"fn", "args"}`, names already resolved).
    fn parse_view(line: usize, call: Json) -> Result<Self::View, ScriptError> {
        typed_call(line, call)
    }

    /// The scalar fields in the digest (after the address and the label).
    fn encode(&self, e: &mut Enc);

    /// Ledger section `tag` (one of [`Family::LEDGER_TAGS`]) in the digest.
    fn encode_ledger(_l: &Self::Ledger, _tag: u8, _e: &mut Enc) {}

    /// Parses a script call (`{"fn", "args"}`, names already resolved).
    fn parse_call(line: usize, call: Json) -> Result<Self::Call, ScriptError> {
        typed_call(line, call)
    }

    /// Script-time checks of deploy arguments beyond their types: `Err((field, message))`, the
    /// field relative to `deploy` (the engine re-checks with a typed revert).
    fn validate_deploy(_d: &Self::Deploy) -> Result<(), (&'static str, String)> {
        Ok(())
    }

    /// Extra script names a deployment creates (e.g. the ilk vault's `<alias>.buffer`).
    fn script_names(_alias: &str, _addr: Address) -> Vec<(String, Address, &'static str)> {
        Vec::new()
    }

    /// The ERC-20 part of a token-like contract.
    fn erc20(&self) -> Option<&token::Erc20> {
        None
    }
    fn erc20_mut(&mut self) -> Option<&mut token::Erc20> {
        None
    }

    /// SPEC §8 checks on this contract; push one message per violation.
    fn check(&self, _s: &State, _addr: Address, _out: &mut Vec<String>) {}
    /// SPEC §8 checks on the family's ledger.
    fn check_ledger(_s: &State, _out: &mut Vec<String>) {}
}

/// The stable names a family contributes (see `tests/registry.rs`).
#[derive(Debug, Clone, Copy)]
pub struct FamilyNames {
    /// The folder: `families/<module>/`.
    pub module: &'static str,
    pub label: &'static str,
    pub revert_codes: &'static [&'static str],
    pub event_names: &'static [&'static str],
    pub ledger_tags: &'static [u8],
}

/// Revert codes not owned by a family (the `Math` codes come from `laniakea_units`).
pub const CORE_REVERT_CODES: &[&str] = &[
    "Engine/no-contract",
    "Engine/wrong-contract-kind",
    "Auth/not-authorized",
    "AccessControl/unauthorized-account",
    "Engine/file-unrecognized-param",
];
/// Event names not owned by a family.
pub const CORE_EVENT_NAMES: &[&str] = &[
    "Deployed",
    "Rely",
    "Deny",
    "RoleGranted",
    "RoleRevoked",
    "FileRay",
    "FileRad",
    "Init",
];

/// Every revert code a transaction can end with (core, math and every family's).
pub fn all_revert_codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = CORE_REVERT_CODES.to_vec();
    v.extend(MathError::CODES);
    for f in FAMILY_NAMES {
        v.extend(f.revert_codes);
    }
    v
}

/// A closed set of stable names: a family's revert codes or event names (derive
/// `strum::IntoStaticStr` + `strum::VariantNames` and it comes for free).
pub trait Named {
    const NAMES: &'static [&'static str];
    fn name(&self) -> &'static str;
}

impl<T: strum::VariantNames> Named for T
where
    for<'a> &'a T: Into<&'static str>,
{
    const NAMES: &'static [&'static str] = T::VARIANTS;
    fn name(&self) -> &'static str {
        self.into()
    }
}

/// The revert or event type of a family that has none.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    serde::Serialize,
    thiserror::Error,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
pub enum Nothing {}

/// Typed access to a contract kind: `state.get::<Vat>(addr)`. Generated for every family.
pub trait Kind: Sized {
    const LABEL: &'static str;
    fn from_contract(c: &Contract) -> Option<&Self>;
    fn from_contract_mut(c: &mut Contract) -> Option<&mut Self>;
}

/// The view type of a family that answers no queries (besides the core `hasRole`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "fn", content = "args")]
pub enum NoViews {}

/// Queries every contract answers (AccessControl / wards).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "fn", content = "args", deny_unknown_fields)]
pub enum CoreView {
    #[serde(rename = "hasRole")]
    HasRole {
        role: crate::call::Role,
        account: Address,
    },
}

/// Deploy arguments of a family that is never deployed directly (e.g. the buffer, created by
/// its ilk vault). Never deserialises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDeployable {}

impl serde::Serialize for NotDeployable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match *self {}
    }
}

impl<'de> serde::Deserialize<'de> for NotDeployable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "this kind is created by another contract, not deployed directly",
        ))
    }
}

fn deploy_family<F: Family>(
    s: &mut State,
    from: Address,
    addr: Address,
    d: &F::Deploy,
    wrap: fn(F) -> Contract,
) -> CallResult<()> {
    let c = F::deploy(s, from, addr, d)?;
    s.insert_contract(addr, wrap(c));
    s.set_role(addr, ADMIN_ROLE, from, true);
    s.emit(
        addr,
        EventKind::Deployed {
            kind: F::LABEL,
            deployer: from,
        },
    );
    F::after_deploy(s, from, addr, d)
}

fn call_family<F: Family + Kind>(
    s: &mut State,
    to: Address,
    from: Address,
    c: F::Call,
) -> CallResult<Returns> {
    s.get::<F>(to)?;
    F::call(s, to, from, c)
}

macro_rules! registry {
    ($($module:ident :: $ty:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every contract kind the engine runs (one variant per registered family).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Contract { $($ty($module::$ty)),* }

        /// A call: a deployment or one function of one contract family.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Call {
            Deploy(Deploy),
            $($ty(Address, <$module::$ty as Family>::Call)),*
        }

        /// Contract creation. The new contract's address is `CREATE(sender, nonce)`; the sender
        /// becomes its admin/ward.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Deploy { $($ty(<$module::$ty as Family>::Deploy)),* }

        /// A read-only query: a core query any contract answers, or one of a family's views.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Query {
            Core(CoreView),
            $($ty(<$module::$ty as Family>::View)),*
        }

        /// The typed answer to a [`Query`] (serialises as the named return values).
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[serde(untagged)]
        pub enum Answer {
            HasRole {
                #[serde(rename = "hasRole")]
                has_role: bool,
            },
            $($ty(<$module::$ty as Family>::Answer)),*
        }

        /// Why a transaction reverted (no state changed): a core reason or a family's own.
        /// Every variant has a stable [`Revert::code`] (the Solidity-style reason string).
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        pub enum Revert {
        #[error("{0}")]
        Math(#[from] MathError),
        #[error("no contract at {0}")]
        NoContract(Address),
        #[error("{contract} is a {actual}, not a {expected}")]
        WrongContractKind {
            contract: Address,
            expected: &'static str,
            actual: &'static str,
        },
        #[error("{who} is not authorised on {contract} ({what})")]
        NotAuthorized {
            contract: Address,
            who: Address,
            what: &'static str,
        },
        #[error("{account} lacks role {role} on {contract}")]
        MissingRole {
            contract: Address,
            account: Address,
            role: B256,
        },
        #[error("unknown parameter '{0}'")]
        UnknownParameter(&'static str),
            $(#[error(transparent)] $ty(<$module::$ty as Family>::Revert)),*
        }

        impl Revert {
            /// The stable reason code, as the Solidity contract would revert with.
            pub fn code(&self) -> &'static str {
                match self {
                Revert::Math(m) => m.code(),
                Revert::NoContract(_) => "Engine/no-contract",
                Revert::WrongContractKind { .. } => "Engine/wrong-contract-kind",
                Revert::NotAuthorized { .. } => "Auth/not-authorized",
                Revert::MissingRole { .. } => "AccessControl/unauthorized-account",
                Revert::UnknownParameter(_) => "Engine/file-unrecognized-param",
                    $(Revert::$ty(r) => r.name()),*
                }
            }
        }

        /// What happened: a core event or a family's own. JSON `{"event": "<Name>", …}`.
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[serde(tag = "event")]
        pub enum EventKind {
        Deployed {
            kind: &'static str,
            deployer: Address,
        },
        Rely {
            usr: Address,
        },
        Deny {
            usr: Address,
        },
        RoleGranted {
            role: B256,
            account: Address,
            sender: Address,
        },
        RoleRevoked {
            role: B256,
            account: Address,
            sender: Address,
        },
        FileRay {
            what: &'static str,
            ilk: Option<B256>,
            data_ray: Ray,
        },
        FileRad {
            what: &'static str,
            ilk: Option<B256>,
            data_rad: Rad,
        },
        Init {
            ilk: B256,
        },
            $(#[serde(untagged)] $ty(<$module::$ty as Family>::Event)),*
        }

        impl EventKind {
            /// The event's name, as in the JSON `event` field.
            pub fn name(&self) -> &'static str {
                match self {
                    EventKind::Deployed { .. } => "Deployed",
                    EventKind::Rely { .. } => "Rely",
                    EventKind::Deny { .. } => "Deny",
                    EventKind::RoleGranted { .. } => "RoleGranted",
                    EventKind::RoleRevoked { .. } => "RoleRevoked",
                    EventKind::FileRay { .. } => "FileRay",
                    EventKind::FileRad { .. } => "FileRad",
                    EventKind::Init { .. } => "Init",
                    $(EventKind::$ty(e) => e.name()),*
                }
            }
        }

        /// Every family's stable names, in registry order.
        pub const FAMILY_NAMES: &[FamilyNames] = &[$(FamilyNames {
            module: stringify!($module),
            label: <$module::$ty as Family>::LABEL,
            revert_codes: <<$module::$ty as Family>::Revert as Named>::NAMES,
            event_names: <<$module::$ty as Family>::Event as Named>::NAMES,
            ledger_tags: <$module::$ty as Family>::LEDGER_TAGS,
        }),*];


        /// Every family's mappings, one field per family (named after its module).
        #[derive(Debug, Default)]
        pub struct Ledgers { $(pub $module: <$module::$ty as Family>::Ledger),* }

        /// Every family label, in registry order.
        pub const LABELS: &[&str] = &[$(<$module::$ty as Family>::LABEL),*];

        /// Every family's ledger digest tags, in registry order (label, tags).
        pub const LEDGER_TAGS: &[(&str, &[u8])] =
            &[$((<$module::$ty as Family>::LABEL, <$module::$ty as Family>::LEDGER_TAGS)),*];

        $(
            impl Kind for $module::$ty {
                const LABEL: &'static str = <$module::$ty as Family>::LABEL;
                fn from_contract(c: &Contract) -> Option<&Self> {
                    #[allow(irrefutable_let_patterns)]
                    if let Contract::$ty(x) = c { Some(x) } else { None }
                }
                fn from_contract_mut(c: &mut Contract) -> Option<&mut Self> {
                    #[allow(irrefutable_let_patterns)]
                    if let Contract::$ty(x) = c { Some(x) } else { None }
                }
            }
        )*

        impl Contract {
            pub fn kind(&self) -> &'static str {
                match self { $(Contract::$ty(_) => <$module::$ty as Family>::LABEL),* }
            }
            /// The ERC-20 part of a token-like contract.
            pub fn erc20(&self) -> Option<&token::Erc20> {
                match self { $(Contract::$ty(x) => x.erc20()),* }
            }
            pub fn erc20_mut(&mut self) -> Option<&mut token::Erc20> {
                match self { $(Contract::$ty(x) => x.erc20_mut()),* }
            }
            pub(crate) fn encode(&self, e: &mut Enc) {
                match self { $(Contract::$ty(x) => x.encode(e)),* }
            }
            pub(crate) fn check(&self, s: &State, addr: Address, out: &mut Vec<String>) {
                match self { $(Contract::$ty(x) => x.check(s, addr, out)),* }
            }
        }

        impl Deploy {
            pub fn kind(&self) -> &'static str {
                match self { $(Deploy::$ty(_) => <$module::$ty as Family>::LABEL),* }
            }
        }

        impl Journaled for Ledgers {
            fn commit(&mut self) { $(self.$module.commit();)* }
            fn rollback(&mut self) { $(self.$module.rollback();)* }
        }

        impl Ledgers {
            /// Encodes ledger section `tag`; false if no family owns it.
            pub(crate) fn encode_section(&self, tag: u8, e: &mut Enc) -> bool {
                $(
                    if <$module::$ty as Family>::LEDGER_TAGS.contains(&tag) {
                        <$module::$ty as Family>::encode_ledger(&self.$module, tag, e);
                        return true;
                    }
                )*
                false
            }
            pub(crate) fn check(s: &State, out: &mut Vec<String>) {
                $(<$module::$ty as Family>::check_ledger(s, out);)*
            }
        }

        /// Applies one call (the engine's single dispatch point).
        pub(crate) fn dispatch(s: &mut State, from: Address, nonce: u64, call: Call) -> CallResult<Returns> {
            match call {
                Call::Deploy(d) => {
                    let addr = from.create(nonce);
                    match &d {
                        $(Deploy::$ty(args) => deploy_family::<$module::$ty>(s, from, addr, args, Contract::$ty)?),*
                    }
                    Ok(Returns::one("address", crate::call::Value::Address(addr)))
                }
                $(Call::$ty(to, c) => call_family::<$module::$ty>(s, to, from, c)),*
            }
        }

        /// Answers one query against the contract at `to`.
        pub(crate) fn view(s: &State, to: Address, q: &Query) -> CallResult<Answer> {
            match q {
                Query::Core(CoreView::HasRole { role, account }) => {
                    s.contract(to)?;
                    Ok(Answer::HasRole { has_role: s.has_role(to, role.0, *account) })
                }
                $(Query::$ty(v) => {
                    s.get::<$module::$ty>(to)?;
                    <$module::$ty as Family>::view(s, to, v).map(Answer::$ty)
                }),*
            }
        }

        /// Parses a script view to a contract of kind `label` (`hasRole` on any kind).
        pub(crate) fn parse_view(line: usize, label: &str, call: Json) -> Result<Query, ScriptError> {
            if call.get("fn").and_then(Json::as_str) == Some("hasRole") {
                return typed_call(line, call).map(Query::Core);
            }
            $(
                if label == <$module::$ty as Family>::LABEL {
                    return <$module::$ty as Family>::parse_view(line, call).map(Query::$ty);
                }
            )*
            Err(crate::script::parse_util::err(line, "view", format!("contract kind '{label}' answers no views")))
        }

        /// Parses a script call to a contract of kind `label`.
        pub(crate) fn parse_call(line: usize, label: &str, to: Address, call: Json) -> Result<Call, ScriptError> {
            $(
                if label == <$module::$ty as Family>::LABEL {
                    return <$module::$ty as Family>::parse_call(line, call).map(|c| Call::$ty(to, c));
                }
            )*
            Err(crate::script::parse_util::err(line, "to", format!("contract kind '{label}' takes no calls")))
        }

        /// Parses a script `deploy` object (`kind` plus the family's arguments).
        pub(crate) fn parse_deploy(line: usize, mut d: Json) -> Result<Deploy, ScriptError> {
            let kind = match d.as_object_mut().and_then(|m| m.remove("kind")) {
                Some(Json::String(k)) => k,
                Some(_) => return Err(crate::script::parse_util::err(line, "deploy.kind", "expected a kind string")),
                None => return Err(crate::script::parse_util::err(line, "deploy", "missing field `kind`")),
            };
            $(
                if kind == <$module::$ty as Family>::LABEL {
                    let args = typed::<<$module::$ty as Family>::Deploy>(line, d, "deploy")?;
                    if let Err((field, msg)) = <$module::$ty as Family>::validate_deploy(&args) {
                        return Err(crate::script::parse_util::err(line, format!("deploy.{field}"), msg));
                    }
                    return Ok(Deploy::$ty(args));
                }
            )*
            Err(crate::script::parse_util::err(
                line,
                "deploy.kind",
                format!("unknown deploy kind '{kind}', expected one of: {}", LABELS.join(", ")),
            ))
        }

        /// The wire form of a call (see `crate::wire`): `(kind label, to, body)` with `to` absent
        /// for a deployment; the body is the family's serde form (`{"fn", "args"}` or the deploy
        /// arguments).
        pub(crate) fn encode_call(c: &Call) -> Result<(&'static str, Option<Address>, Json), serde_json::Error> {
            match c {
                $(Call::Deploy(Deploy::$ty(args)) => Ok((<$module::$ty as Family>::LABEL, None, serde_json::to_value(args)?)),)*
                $(Call::$ty(to, c) => Ok((<$module::$ty as Family>::LABEL, Some(*to), serde_json::to_value(c)?))),*
            }
        }

        /// Reads back [`encode_call`]'s form. Types only: no script-time validation (a journaled
        /// deployment the engine reverted must still read back).
        pub(crate) fn decode_call(kind: &str, to: Option<Address>, body: Json) -> Result<Call, ScriptError> {
            $(
                if kind == <$module::$ty as Family>::LABEL {
                    return match to {
                        None => typed::<<$module::$ty as Family>::Deploy>(0, body, "deploy").map(|a| Call::Deploy(Deploy::$ty(a))),
                        Some(to) => <$module::$ty as Family>::parse_call(0, body).map(|c| Call::$ty(to, c)),
                    };
                }
            )*
            Err(crate::script::parse_util::err(0, "kind", format!("unknown contract kind '{kind}'")))
        }

        /// Extra script names created by a deployment (label, alias, address).
        pub(crate) fn script_names(label: &str, alias: &str, addr: Address) -> Vec<(String, Address, &'static str)> {
            $(
                if label == <$module::$ty as Family>::LABEL {
                    return <$module::$ty as Family>::script_names(alias, addr);
                }
            )*
            Vec::new()
        }
    };
}

// THE REGISTRY: one line per family (`module::ContractStruct`). Add a family's line right under
// its work stream's slot comment (or a new slot at the end): lines added under different slots
// merge without conflict. Each slot also owns a range of ledger digest tags (core: 1, 4, 9;
// existing families: 2–8), so parallel families never pick the same tag.
registry! {
    token::Erc20,
    savings::Savings,
    vat::Vat,
    jug::Jug,
    join::Join,
    ilk_vault::IlkVault,
    buffer::Buffer,
    rate_limits::RateLimits,
    alm_proxy::AlmProxy,
    controller::Controller,
    // ---- slot: Prime ERC-4626 vaults, Generator deployment, migration — digest tags 10–19 ----
    prime_vault::PrimeVault,
    generator::GeneratorRegistry,
    // ---- slot: Configurator timelock and state — digest tags 20–29 ----
    beam_timelock::BeamTimeLock,
    beam_state::BeamState,
    configurator::Configurator,
    // ---- slot: LCTS queues, Holding System — digest tags 30–39 ----
    holding_system::HoldingSystem,
    lcts_queue::LctsQueue,
    // ---- slot: next work stream — digest tags 40–49 ----
}
