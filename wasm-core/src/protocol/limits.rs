//! Frame size limits (protocols.md §5.1).

/// Chromium closes the port when a host frame is larger than 1 MiB
/// (`kMaximumNativeMessageSize`); the host never writes more.
pub const MAX_OUTBOUND_FRAME: usize = 1024 * 1024;

/// Largest request the host accepts. Tessera's requests are small (PINs, OTP
/// parameters; QR images are decoded in the browser), so 1 MiB is generous.
pub const MAX_INBOUND_FRAME: usize = 1024 * 1024;

/// Largest frame the browser can send at all (its renderer caps messages at
/// 64 MiB). An oversized frame up to this length is read and dropped so the stream
/// stays in step; a header above it cannot come from a browser and ends the session.
pub const MAX_DRAINABLE_FRAME: usize = 64 * 1024 * 1024;
