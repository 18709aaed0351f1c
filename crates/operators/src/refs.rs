//! The references the operators write into records and read back: one concept, one place.
//!
//! Contract: a Prime's book numbers its statement obligations and its penalties from 1 in
//! creation order (the `laniakea_settlement::ledger` ids); in records a statement obligation
//! is `<prime>#<id>`, a penalty `<prime>#p<id>` (penalty events, carried-penalty lines of
//! statements and inputs files, forgiveness resolution); a payment seen on chain is
//! `tx:<tx index>/log:<event seq>`. Parsing is the exact inverse of formatting.

use laniakea_settlement::ledger::{ObligationId, PenaltyId};

/// `<prime>#<id>`: a statement obligation.
pub fn obligation_ref(prime: &str, id: ObligationId) -> String {
    format!("{prime}#{id}")
}

/// `<prime>#p<id>`: a penalty.
pub fn penalty_ref(prime: &str, id: PenaltyId) -> String {
    format!("{prime}#p{id}")
}

/// The penalty id of a `<prime>#p<id>` reference of this Prime.
pub fn parse_penalty_ref(prime: &str, r: &str) -> Option<PenaltyId> {
    let id = r.strip_prefix(prime)?.strip_prefix("#p")?;
    // Canonical digits only, so that parse(format(x)) is the only way back.
    if id.is_empty() || (id.len() > 1 && id.starts_with('0')) {
        return None;
    }
    id.parse().ok()
}

/// `tx:<tx index>/log:<event seq>`: a payment (or any logged change) on chain.
pub fn log_ref(tx_index: u64, seq: u64) -> String {
    format!("tx:{tx_index}/log:{seq}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_and_reject_other_primes_and_forms() {
        for id in [1u64, 9, 10, 12345] {
            assert_eq!(
                parse_penalty_ref("spark", &penalty_ref("spark", id)),
                Some(id)
            );
        }
        assert_eq!(parse_penalty_ref("spar", "spark#p1"), None);
        assert_eq!(parse_penalty_ref("spark", "spark#1"), None);
        assert_eq!(parse_penalty_ref("spark", "spark#p01"), None);
        assert_eq!(parse_penalty_ref("spark", "spark#p"), None);
        assert_eq!(obligation_ref("keel", 3), "keel#3");
        assert_eq!(log_ref(7, 42), "tx:7/log:42");
    }
}
