//! Sources: each produces an [`crate::inventory::Inventory`] and nothing else. [`wire`] holds the Graph
//! objects that the Graph client, the snapshot files and the simulated Graph share; [`progress`] is
//! how a source reports what it is doing, without drawing anything itself.

pub mod graph;
pub mod intune_export;
pub mod progress;
pub mod snapshot;
pub mod wire;

/// Helpers for the parsers' property tests.
#[cfg(test)]
pub(crate) mod test_support {
    /// Applies byte edits (overwrite, insert, remove, truncate) to a valid input, for "never panics" tests.
    pub fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
        for &(at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let at = at % bytes.len();
            match op % 4 {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        bytes
    }
}
