//! Per-slot storage for the slots a validator retains: a map from [`Slot`]
//! with the behaviour of a `BTreeMap<Slot, T>` (the same keys, the same
//! order) but a constant-time lookup for the slots that matter.
//!
//! A validator keeps state for the slots from `slots_retained` below its
//! highest finalized slot up to a little beyond it (the slots in progress),
//! and forgets everything below as finalization advances. Such slots live in
//! a ring indexed by `slot - base`, where `base` is the lowest retained slot
//! (the floor of the last [`SlotMap::prune_below`]). Slots beyond
//! [`RING_SLOTS`] above `base` (far-future slots a faulty peer may name), and
//! the rare slot below `base`, live in a `BTreeMap` beside the ring, so such
//! a slot costs one map entry, never a huge ring.

use std::collections::{BTreeMap, VecDeque};

use crate::types::Slot;

/// Most slots the ring covers, from its base up. With the default 64 slots
/// retained below the highest finalized slot, this leaves room for about 190
/// slots in progress above it before lookups fall back to the `BTreeMap`.
pub const RING_SLOTS: u64 = 256;

/// A map from slot to `T`, behaving as a `BTreeMap<Slot, T>`; see the module
/// documentation.
#[derive(Debug)]
pub struct SlotMap<T> {
    /// Slot of `ring[0]`.
    base: u64,
    /// Entries of slots `base .. base + ring.len()` (`None`: no entry);
    /// `ring.len() <= RING_SLOTS`.
    ring: VecDeque<Option<T>>,
    /// Entries of slots below `base` or at `base + RING_SLOTS` and beyond.
    other: BTreeMap<Slot, T>,
    /// Number of entries in the ring.
    ring_len: usize,
}

impl<T> Default for SlotMap<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> SlotMap<T> {
    /// An empty map whose ring starts at the genesis slot.
    pub fn new() -> Self {
        Self {
            base: 0,
            ring: VecDeque::new(),
            other: BTreeMap::new(),
            ring_len: 0,
        }
    }

    /// Ring index of `slot`, when the ring covers it (whether or not it
    /// holds an entry there).
    #[inline]
    fn ring_index(&self, slot: Slot) -> Option<usize> {
        let offset = slot.0.wrapping_sub(self.base);
        (slot.0 >= self.base && offset < RING_SLOTS).then_some(offset as usize)
    }

    /// First slot at or beyond the ring's reach.
    fn ring_end(&self) -> Slot {
        Slot(self.base.saturating_add(RING_SLOTS))
    }

    /// The entry of `slot`.
    #[inline]
    pub fn get(&self, slot: Slot) -> Option<&T> {
        match self.ring_index(slot) {
            Some(i) => self.ring.get(i).and_then(Option::as_ref),
            None => self.other.get(&slot),
        }
    }

    /// The entry of `slot`, to change.
    #[inline]
    pub fn get_mut(&mut self, slot: Slot) -> Option<&mut T> {
        match self.ring_index(slot) {
            Some(i) => self.ring.get_mut(i).and_then(Option::as_mut),
            None => self.other.get_mut(&slot),
        }
    }

    /// Whether `slot` has an entry.
    pub fn contains_key(&self, slot: Slot) -> bool {
        self.get(slot).is_some()
    }

    /// The entry of `slot`, made by `make` when there is none.
    #[inline]
    pub fn get_or_insert_with(&mut self, slot: Slot, make: impl FnOnce() -> T) -> &mut T {
        match self.ring_index(slot) {
            Some(i) => {
                if i >= self.ring.len() {
                    self.ring.resize_with(i + 1, || None);
                }
                let cell = &mut self.ring[i];
                if cell.is_none() {
                    self.ring_len += 1;
                }
                cell.get_or_insert_with(make)
            }
            None => self.other.entry(slot).or_insert_with(make),
        }
    }

    /// The entry of `slot`, a default one when there is none.
    #[inline]
    pub fn get_or_default(&mut self, slot: Slot) -> &mut T
    where
        T: Default,
    {
        self.get_or_insert_with(slot, T::default)
    }

    /// Sets the entry of `slot`; returns the one it replaces.
    pub fn insert(&mut self, slot: Slot, value: T) -> Option<T> {
        match self.ring_index(slot) {
            Some(i) => {
                if i >= self.ring.len() {
                    self.ring.resize_with(i + 1, || None);
                }
                let old = self.ring[i].replace(value);
                if old.is_none() {
                    self.ring_len += 1;
                }
                old
            }
            None => self.other.insert(slot, value),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ring_len + self.other.len()
    }

    /// Entries of `from` and later slots, in slot order.
    pub fn range_from(&self, from: Slot) -> impl Iterator<Item = (Slot, &T)> + '_ {
        let base = Slot(self.base);
        let ring_end = self.ring_end();
        let below = self.other.range(from..base.max(from)).map(|(s, e)| (*s, e));
        let skip = from.0.saturating_sub(self.base) as usize;
        let ring = self
            .ring
            .iter()
            .enumerate()
            .skip(skip)
            .filter_map(move |(i, e)| e.as_ref().map(|e| (Slot(base.0 + i as u64), e)));
        let above = self.other.range(from.max(ring_end)..).map(|(s, e)| (*s, e));
        below.chain(ring).chain(above)
    }

    /// Forgets the entries of slots below `floor`, and moves the ring up to
    /// start at `floor` (when that is higher).
    pub fn prune_below(&mut self, floor: Slot) {
        self.other = self.other.split_off(&floor);
        if floor.0 <= self.base {
            return;
        }
        let drop = (floor.0 - self.base).min(self.ring.len() as u64) as usize;
        for e in self.ring.drain(..drop) {
            if e.is_some() {
                self.ring_len -= 1;
            }
        }
        self.base = floor.0;
        // Slots the ring now reaches move in from the map.
        let ring_end = self.ring_end();
        let rest = self.other.split_off(&ring_end);
        for (slot, value) in std::mem::replace(&mut self.other, rest) {
            self.insert(slot, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::mix64;

    /// Random operations on a `SlotMap` and a `BTreeMap` agree, with slots
    /// near a rising floor, below it, and far beyond the ring.
    #[test]
    fn behaves_as_a_btree_map() {
        let mut map = SlotMap::new();
        let mut model = BTreeMap::new();
        let mut floor = 0u64;
        for step in 0..200_000u64 {
            let r = mix64(step);
            let slot = Slot(match r % 16 {
                0 => floor.saturating_sub(r >> 60),
                1 => floor + RING_SLOTS - 2 + (r >> 62),
                2 => floor + 1_000 + (r >> 40) % 1_000_000,
                _ => floor + (r >> 32) % 100,
            });
            match (r >> 8) % 8 {
                0 => assert_eq!(map.insert(slot, step), model.insert(slot, step)),
                2 => {
                    *map.get_or_default(slot) += 1;
                    *model.entry(slot).or_default() += 1;
                }
                3 => {
                    if let (Some(a), Some(b)) = (map.get_mut(slot), model.get_mut(&slot)) {
                        *a += 7;
                        *b += 7;
                    }
                }
                4 if r % 64 == 4 => {
                    floor += (r >> 16) % 40;
                    map.prune_below(Slot(floor));
                    model = model.split_off(&Slot(floor));
                }
                5 if r % 256 == 5 => {
                    let from = Slot(floor.saturating_sub(3) + (r >> 20) % 300);
                    let got: Vec<_> = map.range_from(from).map(|(s, v)| (s, *v)).collect();
                    let want: Vec<_> = model.range(from..).map(|(s, v)| (*s, *v)).collect();
                    assert_eq!(got, want);
                }
                _ => assert_eq!(map.get(slot), model.get(&slot)),
            }
            assert_eq!(map.len(), model.len());
            assert_eq!(map.contains_key(slot), model.contains_key(&slot));
        }
        let got: Vec<_> = map
            .range_from(Slot::GENESIS)
            .map(|(s, v)| (s, *v))
            .collect();
        let want: Vec<_> = model.iter().map(|(s, v)| (*s, *v)).collect();
        assert_eq!(got, want);
    }
}
