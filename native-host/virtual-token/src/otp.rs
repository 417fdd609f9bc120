//! HOTP / TOTP / OCRA computations (in progress)
