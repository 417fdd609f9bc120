//! PINs in memory: zeroized on drop, never printed.

use std::fmt;

use zeroize::Zeroizing;

/// A PIN, PUK or other short secret typed by the user.
#[derive(Clone)]
pub struct Pin(Zeroizing<Vec<u8>>);

impl Pin {
    /// From the user's characters (UTF-8 bytes).
    pub fn new(pin: impl AsRef<[u8]>) -> Pin {
        Pin(Zeroizing::new(pin.as_ref().to_vec()))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Right-padded with FFh to `n` bytes (crescendo-apdu.md §3; SP 800-73-4
    /// §3.2.1), or `None` if longer than `n`.
    pub fn padded(&self, n: usize) -> Option<Zeroizing<Vec<u8>>> {
        if self.0.len() > n {
            return None;
        }
        let mut v = Zeroizing::new(self.0.to_vec());
        v.resize(n, 0xFF);
        Some(v)
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(***)")
    }
}
