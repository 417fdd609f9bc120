//! The JSON the wasm module returns (no serde: a few lines, and a smaller module).

use crate::{DecodeError, QrCode};

/// `{"codes":[{"text":…,"points":[[x,y],…]},…]}` on success, `{"error":"code","message":…}`
/// otherwise, with `code` one of `too_small`, `too_large`, `size_mismatch`, `not_found`.
pub fn to_json(result: &Result<Vec<QrCode>, DecodeError>) -> String {
    let mut out = String::new();
    match result {
        Ok(codes) => {
            out.push_str("{\"codes\":[");
            for (i, code) in codes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"text\":");
                string(&mut out, &code.text);
                out.push_str(",\"points\":[");
                for (j, p) in code.points.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("[{},{}]", number(p.x), number(p.y)));
                }
                out.push_str("]}");
            }
            out.push_str("]}");
        }
        Err(e) => {
            let code = match e {
                DecodeError::TooSmall { .. } => "too_small",
                DecodeError::TooLarge { .. } => "too_large",
                DecodeError::SizeMismatch { .. } => "size_mismatch",
                DecodeError::NotFound => "not_found",
            };
            out.push_str("{\"error\":\"");
            out.push_str(code);
            out.push_str("\",\"message\":");
            string(&mut out, &e.to_string());
            out.push('}');
        }
    }
    out
}

/// A finite number with one decimal (NaN/∞ cannot come from the reader, but become 0).
fn number(v: f32) -> String {
    if v.is_finite() {
        format!("{:.1}", v)
    } else {
        "0".to_owned()
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    #[test]
    fn codes_and_errors() {
        let ok = Ok(vec![QrCode {
            text: "a\"b\\\n\u{1}é".into(),
            points: vec![Point { x: 1.0, y: 2.25 }],
        }]);
        assert_eq!(
            to_json(&ok),
            r#"{"codes":[{"text":"a\"b\\\n\u0001é","points":[[1.0,2.2]]}]}"#
        );
        let err = Err(DecodeError::NotFound);
        assert_eq!(
            to_json(&err),
            r#"{"error":"not_found","message":"no QR code found"}"#
        );
    }
}
