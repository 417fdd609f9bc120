//! The applets of the Crescendo Key and YKOATH-key profiles, one file each.

pub mod aca;
pub mod crescendo_oath;
pub mod fido;
pub mod piv;
pub mod ykoath;
