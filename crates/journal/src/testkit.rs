//! Test and bench support (not part of the API): a small two-Prime genesis and a deterministic
//! workload of mixed transactions (mints, burns, approvals, transfers; some revert).

use crate::{Genesis, JournaledChain};
use laniakea_chain::call::{Call, ControllerCall, Erc20Call, Tx};
use laniakea_chain::system::{PrimeConfig, SystemConfig};
use laniakea_units::{Timestamp, Wad, U256, WAD};

/// 2026-01-01T00:00:00Z.
pub const GENESIS_AT: Timestamp = Timestamp(1_767_225_600);

/// A two-Prime system genesis.
pub fn genesis() -> Genesis {
    Genesis::System {
        config: SystemConfig {
            primes: vec![PrimeConfig::new("spark"), PrimeConfig::new("grove")],
            ..SystemConfig::default()
        },
        at: GENESIS_AT,
    }
}

fn wad(x: u64) -> Wad {
    Wad::from_raw(U256::from(x) * WAD)
}

/// The `i`-th transaction of the workload (one second after the genesis per index).
pub fn workload_tx(chain: &JournaledChain, i: u64) -> Tx {
    let a = |n: &str| chain.address(n).unwrap_or_default();
    let at = Timestamp(GENESIS_AT.0 + 1 + i);
    let (from, call) = match i % 4 {
        0 => (
            a("gen_relayer"),
            Call::Controller(
                a("gen_ctrl"),
                ControllerCall::MintUsds {
                    amount: wad(1 + i % 5),
                },
            ),
        ),
        1 => (
            a("gen_relayer"),
            Call::Controller(
                a("gen_ctrl"),
                ControllerCall::BurnUsds {
                    amount: wad(1 + i % 3),
                },
            ),
        ),
        2 => (
            a("admin"),
            Call::Erc20(
                a("usds"),
                Erc20Call::Approve {
                    spender: a("spark_relayer"),
                    amount: wad(i),
                },
            ),
        ),
        // reverts (admin holds no USDS) — journaled like any other transaction
        _ => (
            a("admin"),
            Call::Erc20(
                a("usds"),
                Erc20Call::Transfer {
                    to: a("grove_relayer"),
                    amount: wad(1),
                },
            ),
        ),
    };
    Tx { from, at, call }
}
