//! Protocol parameters of a validator.

use std::time::Duration;

/// Parameters of the Alpenglow protocol, identical for all validators of a
/// run. Defaults follow the white paper v1.1.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeConfig {
    /// Δblock: the time a leader has per slot (white paper section 2.6,
    /// Definition 17). Default 400 ms.
    pub delta_block: Duration,
    /// Δtimeout: slack before the first slot's timeout (Definition 17).
    /// Default 750 ms.
    pub delta_timeout: Duration,
    /// Slots per leader window (section 2.1). Default 4.
    pub slots_per_window: u64,
    /// Slices per block (section 2.2). Default 4.
    pub slices_per_block: u32,
    /// γ: data shreds that suffice to reconstruct a slice. Default 32.
    pub data_shreds_per_slice: u32,
    /// Γ: shreds per slice (data + coding). Default 64.
    pub shreds_per_slice: u32,
    /// Most transactions a leader packs into one block. Default 2,000.
    pub block_capacity_tx: u32,
    /// Time without a new finalization after which a validator re-broadcasts
    /// its latest finalization certificate, and its certificates and votes
    /// of later slots (section 2.10, "standstill"). Default 10 s.
    pub standstill: Duration,
    /// Most transactions a leader keeps pending; older ones are dropped
    /// first. Default 100,000.
    pub pending_tx_max: usize,
    /// A pending transaction older than this is dropped, not packed (like a
    /// Solana blockhash expiring). Default 60 s.
    pub tx_expiry: Duration,
    /// Slots of state kept below the highest finalized slot (for late votes
    /// and certificates). Default 64.
    pub slots_retained: u64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            delta_block: Duration::from_millis(400),
            delta_timeout: Duration::from_millis(750),
            slots_per_window: 4,
            slices_per_block: 4,
            data_shreds_per_slice: 32,
            shreds_per_slice: 64,
            block_capacity_tx: 2_000,
            standstill: Duration::from_secs(10),
            pending_tx_max: 100_000,
            tx_expiry: Duration::from_secs(60),
            slots_retained: 64,
        }
    }
}

/// A protocol parameter out of range; names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("protocol.{field}: {expected}")]
pub struct ConfigError {
    /// Field name as in the scenario's `[protocol]` table.
    pub field: &'static str,
    /// What is expected.
    pub expected: String,
}

impl NodeConfig {
    /// Checks every field, and the fields against each other.
    ///
    /// # Errors
    /// The first field out of range.
    pub fn assert(&self) -> Result<(), ConfigError> {
        let err = |field, expected: String| Err(ConfigError { field, expected });
        // An hour bounds every protocol delay: longer ones are typos, and a
        // simulated run lasts at most 30 days.
        const HOUR: Duration = Duration::from_secs(3600);
        for (field, d) in [
            ("delta_block", self.delta_block),
            ("delta_timeout", self.delta_timeout),
            ("standstill", self.standstill),
        ] {
            if d > HOUR {
                return err(
                    field,
                    format!("expected a duration of at most an hour, got {d:?}"),
                );
            }
        }
        if self.delta_block.is_zero() {
            return err("delta_block", "expected a duration > 0, got 0s".into());
        }
        for (field, value, max) in [
            ("slots_per_window", self.slots_per_window, 64),
            ("slices_per_block", u64::from(self.slices_per_block), 1024),
            ("shreds_per_slice", u64::from(self.shreds_per_slice), 64),
        ] {
            if value == 0 || value > max {
                return err(field, format!("expected 1..={max}, got {value}"));
            }
        }
        if self.data_shreds_per_slice == 0 || self.data_shreds_per_slice > self.shreds_per_slice {
            return err(
                "data_shreds_per_slice",
                format!(
                    "expected 1..={} (protocol.shreds_per_slice: a slice is rebuilt from any \
                     data_shreds_per_slice of its shreds_per_slice shreds), got {}",
                    self.shreds_per_slice, self.data_shreds_per_slice
                ),
            );
        }
        if self.standstill.is_zero() {
            return err("standstill", "expected a duration > 0, got 0s".into());
        }
        if self.slots_retained < self.slots_per_window {
            return err(
                "slots_retained",
                format!(
                    "expected at least slots_per_window ({}), got {}",
                    self.slots_per_window, self.slots_retained
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        NodeConfig::default().assert().unwrap();
    }

    #[test]
    fn delays_beyond_an_hour_are_named() {
        let c = NodeConfig {
            delta_timeout: Duration::from_secs(3601),
            ..NodeConfig::default()
        };
        assert_eq!(
            c.assert().unwrap_err().to_string(),
            "protocol.delta_timeout: expected a duration of at most an hour, got 3601s"
        );
    }

    #[test]
    fn data_shreds_above_total_is_named() {
        let c = NodeConfig {
            data_shreds_per_slice: 65,
            ..NodeConfig::default()
        };
        let e = c.assert().unwrap_err();
        assert_eq!(e.field, "data_shreds_per_slice");
        assert!(e.to_string().starts_with("protocol.data_shreds_per_slice"));
    }
}
