//! One session per applet over a [`SmartCardConnection`](crate::connection::SmartCardConnection)
//! (the yubikit pattern): the constructor SELECTs and parses the applet's
//! answer; each method is one instruction. Written from the documents
//! (crescendo-apdu.md, NIST SP 800-73-4, YKOATH), not from the virtual token.

pub mod aca;
pub mod crescendo_oath;
mod error;
mod pin;
pub mod piv;
pub mod touch;
pub mod ykoath;

pub use error::SessionError;
pub use pin::Pin;

use crate::apdu::{Apdu, Processor, Sw};

/// SELECT by AID: `00 A4 04 00 Lc AID 00` (crescendo-apdu.md §2.1). Returns the
/// answer data; `AppletNotFound` for the "not available" status words.
pub(crate) fn select(p: &mut Processor, aid: &[u8]) -> Result<Vec<u8>, SessionError> {
    let r = p.send(&Apdu::new(0x00, 0xA4, 0x04, 0x00).data(aid).le(0))?;
    match r.sw {
        Sw::Ok => Ok(r.data),
        Sw::NotFound | Sw::InsNotSupported | Sw::ClaNotSupported | Sw::Other(0x6999) => {
            Err(SessionError::AppletNotFound)
        }
        sw => Err(SessionError::Unexpected { ins: 0xA4, sw }),
    }
}
