//! The journalled map: the one storage primitive of the engine.
//!
//! Contract: a [`JournaledMap`] is an ordered map whose every write records the previous value of
//! the key in the map's own undo list, so [`Journaled::rollback`] restores the map exactly as it
//! was at the last [`Journaled::commit`] (writes are undone newest first). Entries equal to
//! `V::default()` are stored as absent ([`JournaledMap::set`]), so two maps with the same meaning
//! have the same canonical form and the same digest. Iteration is in key order, never in hash or
//! history order. A new mapping in a contract family is one field of this type inside the
//! family's `ledger!` struct; commit/rollback come with it.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

/// A map key packed as the concatenation of its parts' bytes (addresses, 32-byte keys). Parts
/// of fixed width compare bytewise, so the packed key orders exactly as the tuple of its parts
/// (same iteration order, same digest) — with one `memcmp` per B-tree comparison instead of one
/// per part. For the hottest maps of the Configurator's raise path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackedKey<const N: usize>([u8; N]);

impl<const N: usize> PackedKey<N> {
    /// Concatenates `parts`; their lengths must sum to `N` (a bug otherwise).
    pub fn new(parts: &[&[u8]]) -> Self {
        let mut b = [0u8; N];
        let mut at = 0;
        for p in parts {
            b[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        assert_eq!(at, N, "packed key parts must fill the key exactly");
        PackedKey(b)
    }

    /// The bytes `from..to` (one part).
    pub fn part(&self, from: usize, to: usize) -> &[u8] {
        &self.0[from..to]
    }
}

/// Anything the engine can commit or roll back as one unit.
pub trait Journaled {
    /// Forgets the undo records: the current content becomes the rollback point.
    fn commit(&mut self);
    /// Restores the content at the last commit.
    fn rollback(&mut self);
}

/// An ordered map with an undo journal. `V::default()` means "absent".
#[derive(Debug, Clone)]
pub struct JournaledMap<K, V> {
    map: BTreeMap<K, V>,
    undo: Vec<(K, Option<V>)>,
}

impl<K, V> Default for JournaledMap<K, V> {
    fn default() -> Self {
        JournaledMap {
            map: BTreeMap::new(),
            undo: Vec::new(),
        }
    }
}

impl<K: Ord + Clone, V: Clone> JournaledMap<K, V> {
    /// The stored value, if any.
    pub fn get_ref(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }

    /// Inserts (or replaces) `k`, journalling the old value.
    pub fn insert(&mut self, k: K, v: V) {
        let old = self.map.insert(k.clone(), v);
        self.undo.push((k, old));
    }

    /// Removes `k`, journalling the old value; returns it.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        let old = self.map.remove(k);
        if old.is_some() {
            self.undo.push((k.clone(), old.clone()));
        }
        old
    }

    /// Mutable access to an existing entry, journalling its value first (copy-on-write). Does
    /// not canonicalise: for value maps where default means absent, use [`JournaledMap::set`].
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let old = self.map.get(k)?.clone();
        self.undo.push((k.clone(), Some(old)));
        self.map.get_mut(k)
    }

    pub fn contains_key(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }

    /// Number of stored (non-absent) entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    /// Values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values()
    }

    /// Entries with keys in `r`, in key order.
    pub fn range<R: RangeBounds<K>>(&self, r: R) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        self.map.range(r)
    }
}

impl<K: Ord + Clone, V: Clone + Default + PartialEq> JournaledMap<K, V> {
    /// The value at `k`, `V::default()` when absent.
    pub fn get(&self, k: &K) -> V {
        self.map.get(k).cloned().unwrap_or_default()
    }

    /// Sets `k` to `v` (a default value removes the entry); journals and returns the old value.
    pub fn set(&mut self, k: K, v: V) -> V {
        let old = if v == V::default() {
            self.map.remove(&k)
        } else {
            self.map.insert(k.clone(), v)
        };
        let was = old.clone().unwrap_or_default();
        self.undo.push((k, old));
        was
    }

    /// Read-modify-write in one B-tree descent: `f` gets the value at `k` (`V::default()` when
    /// absent) and returns the new value with a result, or an error that leaves the map as it
    /// was. Same effect and journal as `get` then `set` (a default value removes the entry).
    pub fn try_update<R, E>(
        &mut self,
        k: K,
        f: impl FnOnce(&V) -> Result<(V, R), E>,
    ) -> Result<R, E> {
        use std::collections::btree_map::Entry;
        match self.map.entry(k) {
            Entry::Vacant(e) => {
                let (v, r) = f(&V::default())?;
                if v != V::default() {
                    self.undo.push((e.key().clone(), None));
                    e.insert(v);
                }
                Ok(r)
            }
            Entry::Occupied(mut e) => {
                let (v, r) = f(e.get())?;
                if v == V::default() {
                    let (k, old) = e.remove_entry();
                    self.undo.push((k, Some(old)));
                } else {
                    let old = std::mem::replace(e.get_mut(), v);
                    self.undo.push((e.key().clone(), Some(old)));
                }
                Ok(r)
            }
        }
    }
}

impl<K: Ord, V> Journaled for JournaledMap<K, V> {
    fn commit(&mut self) {
        self.undo.clear();
    }

    fn rollback(&mut self) {
        while let Some((k, old)) = self.undo.pop() {
            match old {
                Some(v) => {
                    self.map.insert(k, v);
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
    }
}

/// A family's mappings: a struct of [`JournaledMap`] fields with `commit`/`rollback` generated.
///
/// ```ignore
/// ledger! {
///     /// ERC-20 ledgers.
///     pub struct TokenLedger {
///         /// (token, holder) → balance [token base units]
///         pub balances: JournaledMap<(Address, Address), U256>,
///     }
/// }
/// ```
#[macro_export]
macro_rules! ledger {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Default)]
        pub struct $name { $($(#[$fm])* pub $field: $ty),* }
        impl $crate::journal::Journaled for $name {
            fn commit(&mut self) { $($crate::journal::Journaled::commit(&mut self.$field);)* }
            fn rollback(&mut self) { $($crate::journal::Journaled::rollback(&mut self.$field);)* }
        }
    };
}

/// The ledger of a family that has no mappings.
#[derive(Debug, Default)]
pub struct NoLedger;

impl Journaled for NoLedger {
    fn commit(&mut self) {}
    fn rollback(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any sequence of writes after a commit rolls back to exactly the committed map.
        #[test]
        fn rollback_is_exact(
            base in proptest::collection::vec((0u8..16, 0u64..4), 0..32),
            writes in proptest::collection::vec((0u8..16, 0u64..4, 0u8..4), 0..64),
        ) {
            let mut m: JournaledMap<u8, u64> = JournaledMap::default();
            for (k, v) in base {
                m.set(k, v);
            }
            m.commit();
            let before: Vec<(u8, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            for (k, v, op) in writes {
                match op {
                    0 => { m.set(k, v); }
                    1 => { m.remove(&k); }
                    2 => { if let Some(x) = m.get_mut(&k) { *x += v; } }
                    _ => { m.try_update(k, |x| Ok::<_, ()>((x + v, ()))).unwrap(); }
                }
            }
            m.rollback();
            let after: Vec<(u8, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(before, after);
        }
    }

    proptest! {
        /// `try_update` has exactly the effect of `get` then `set` (default = absent), and an
        /// error leaves the map untouched.
        #[test]
        fn try_update_is_get_then_set(
            base in proptest::collection::vec((0u8..8, 0u64..3), 0..8),
            k in 0u8..8, v in 0u64..3, fail in any::<bool>(),
        ) {
            let mut a: JournaledMap<u8, u64> = JournaledMap::default();
            for (k, v) in base {
                a.set(k, v);
            }
            let mut b = JournaledMap::default();
            for (k, v) in a.iter() {
                b.set(*k, *v);
            }
            let r = a.try_update(k, |old| if fail { Err(*old) } else { Ok((v, *old)) });
            if fail {
                prop_assert_eq!(r, Err(b.get(&k)));
            } else {
                prop_assert_eq!(r, Ok(b.set(k, v)));
            }
            let (x, y): (Vec<_>, Vec<_>) = (a.iter().collect(), b.iter().collect());
            prop_assert_eq!(x, y);
        }
    }

    #[test]
    fn rollback_restores_exactly_and_default_is_absent() {
        let mut m: JournaledMap<u8, u64> = JournaledMap::default();
        m.set(1, 5);
        m.commit();
        m.set(1, 7);
        m.set(2, 3);
        m.set(1, 0);
        assert!(!m.contains_key(&1), "zero is stored as absent");
        m.rollback();
        assert_eq!(m.get(&1), 5);
        assert_eq!(m.get(&2), 0);
        assert_eq!(m.len(), 1);
        let mut n: JournaledMap<u8, String> = JournaledMap::default();
        n.insert(1, "a".into());
        n.commit();
        n.get_mut(&1).unwrap().push('b');
        n.remove(&1);
        n.rollback();
        assert_eq!(n.get_ref(&1).map(String::as_str), Some("a"));
    }
}
