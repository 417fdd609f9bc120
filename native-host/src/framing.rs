//! Native-messaging frames: a u32 length in native byte order, then that many
//! bytes of UTF-8 JSON (protocols.md §5.1; Chrome "Native messaging protocol").

use std::io::{self, Read, Write};

use thiserror::Error;

/// Why a frame could not be read or written.
#[derive(Debug, Error)]
pub enum FrameError {
    /// The stream ended cleanly between frames.
    #[error("end of input")]
    Eof,
    /// The stream ended inside a header or body.
    #[error("input ended inside a frame ({got} of {expected} bytes)")]
    Truncated {
        /// Bytes the header (4) or body announced.
        expected: usize,
        /// Bytes received before the end.
        got: usize,
    },
    /// The header announced more than the caller's cap; the body was not read.
    #[error("frame of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// The cap.
        limit: usize,
    },
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Reads until `buf` is full; returns how many bytes arrived before EOF.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads one frame's header. `Eof` only when no byte of it arrived.
pub fn read_header(r: &mut impl Read) -> Result<usize, FrameError> {
    let mut header = [0u8; 4];
    match read_full(r, &mut header)? {
        0 => Err(FrameError::Eof),
        4 => Ok(u32::from_ne_bytes(header) as usize),
        got => Err(FrameError::Truncated { expected: 4, got }),
    }
}

/// Reads one frame body of `len` bytes.
pub fn read_body(r: &mut impl Read, len: usize) -> Result<Vec<u8>, FrameError> {
    let mut body = vec![0u8; len];
    let got = read_full(r, &mut body)?;
    if got < len {
        return Err(FrameError::Truncated { expected: len, got });
    }
    Ok(body)
}

/// Reads one whole frame, refusing (without reading the body) one above `limit`.
pub fn read_frame(r: &mut impl Read, limit: usize) -> Result<Vec<u8>, FrameError> {
    let len = read_header(r)?;
    if len > limit {
        return Err(FrameError::TooLarge { len, limit });
    }
    read_body(r, len)
}

/// Reads and drops `len` bytes (the body of a refused frame).
pub fn discard(r: &mut impl Read, len: usize) -> Result<(), FrameError> {
    let got = io::copy(&mut r.take(len as u64), &mut io::sink())? as usize;
    if got < len {
        return Err(FrameError::Truncated { expected: len, got });
    }
    Ok(())
}

/// Writes one frame in a single `write_all` and flushes, refusing one above `limit`.
pub fn write_frame(w: &mut impl Write, body: &[u8], limit: usize) -> Result<(), FrameError> {
    if body.len() > limit {
        return Err(FrameError::TooLarge {
            len: body.len(),
            limit,
        });
    }
    let len = u32::try_from(body.len()).map_err(|_| FrameError::TooLarge {
        len: body.len(),
        limit,
    })?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_ne_bytes());
    frame.extend_from_slice(body);
    w.write_all(&frame)?;
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_ne_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn round_trip() {
        let mut out = vec![];
        write_frame(&mut out, b"{\"a\":1}", 100).expect("write");
        assert_eq!(out, framed(b"{\"a\":1}"));
        let mut r = Cursor::new(out);
        assert_eq!(read_frame(&mut r, 100).expect("read"), b"{\"a\":1}");
        assert!(matches!(read_frame(&mut r, 100), Err(FrameError::Eof)));
    }

    #[test]
    fn truncated_header_and_body() {
        let mut r = Cursor::new(vec![5u8, 0]);
        assert!(matches!(
            read_frame(&mut r, 100),
            Err(FrameError::Truncated {
                expected: 4,
                got: 2
            })
        ));
        let mut bytes = framed(b"hello");
        bytes.truncate(7);
        assert!(matches!(
            read_frame(&mut Cursor::new(bytes), 100),
            Err(FrameError::Truncated {
                expected: 5,
                got: 3
            })
        ));
    }

    #[test]
    fn oversize_is_refused_and_can_be_skipped() {
        let mut bytes = framed(&[b'x'; 50]);
        bytes.extend(framed(b"ok"));
        let mut r = Cursor::new(bytes);
        let Err(FrameError::TooLarge { len, limit }) = read_frame(&mut r, 10) else {
            panic!("expected TooLarge");
        };
        assert_eq!((len, limit), (50, 10));
        discard(&mut r, len).expect("discard");
        assert_eq!(read_frame(&mut r, 10).expect("next"), b"ok");
    }

    #[test]
    fn outbound_limit() {
        let mut out = vec![];
        assert!(matches!(
            write_frame(&mut out, &[0; 11], 10),
            Err(FrameError::TooLarge { .. })
        ));
        assert!(out.is_empty(), "nothing partial is written");
    }
}
