//! CBOR helpers over ciborium: CTAP2 canonical encoding (§8 "Message encoding":
//! integer keys ascending, shortest forms) and checked accessors, so malformed
//! device CBOR becomes [`CtapError::Cbor`], never a panic.

use ciborium::value::{Integer, Value};

use super::error::{CtapError, CtapResult};

/// Encodes a value (ciborium writes shortest-form heads; callers build maps
/// with keys already in canonical order).
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

/// Decodes one value.
pub fn decode(bytes: &[u8]) -> CtapResult<Value> {
    ciborium::de::from_reader(bytes).map_err(|e| CtapError::Cbor(e.to_string()))
}

/// An integer-keyed map built in canonical order.
pub fn int_map(entries: Vec<(i64, Value)>) -> Value {
    let mut entries = entries;
    entries.sort_by_key(|(k, _)| canonical_int_key(*k));
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Integer(k.into()), v))
            .collect(),
    )
}

/// Canonical order of integer keys: unsigned before negative, then by encoded value.
fn canonical_int_key(k: i64) -> (u8, u64) {
    if k >= 0 {
        (0, k.unsigned_abs())
    } else {
        (1, (-1 - k).unsigned_abs())
    }
}

/// A text-keyed map in canonical order (shorter keys first, then bytewise).
pub fn text_map(entries: Vec<(&str, Value)>) -> Value {
    let mut entries = entries;
    entries.sort_by(|(a, _), (b, _)| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Text(k.to_owned()), v))
            .collect(),
    )
}

/// A decoded map with typed lookups.
#[derive(Debug, Clone, Default)]
pub struct Map(pub Vec<(Value, Value)>);

impl Map {
    /// The value must be a map.
    pub fn from_value(value: Value, what: &str) -> CtapResult<Map> {
        match value {
            Value::Map(m) => Ok(Map(m)),
            _ => Err(CtapError::Cbor(format!("{what} is not a map"))),
        }
    }

    /// The value under an integer key.
    pub fn int(&self, key: i64) -> Option<&Value> {
        self.0.iter().find_map(|(k, v)| match k {
            Value::Integer(i) if i128::from(*i) == i128::from(key) => Some(v),
            _ => None,
        })
    }

    /// The value under a text key.
    pub fn text(&self, key: &str) -> Option<&Value> {
        self.0.iter().find_map(|(k, v)| match k {
            Value::Text(t) if t == key => Some(v),
            _ => None,
        })
    }

    /// A required member under an integer key.
    pub fn need(&self, key: i64, what: &str) -> CtapResult<&Value> {
        self.int(key)
            .ok_or_else(|| CtapError::Cbor(format!("{what} (key {key}) missing")))
    }
}

/// An unsigned integer that fits u64.
pub fn uint(v: &Value, what: &str) -> CtapResult<u64> {
    match v {
        Value::Integer(i) => u64::try_from(*i).map_err(|_| bad(what, "an unsigned integer")),
        _ => Err(bad(what, "an unsigned integer")),
    }
}

/// Any integer in i64.
pub fn int(v: &Value, what: &str) -> CtapResult<i64> {
    match v {
        Value::Integer(i) => i64::try_from(*i).map_err(|_| bad(what, "an integer")),
        _ => Err(bad(what, "an integer")),
    }
}

/// A byte string.
pub fn bytes<'a>(v: &'a Value, what: &str) -> CtapResult<&'a [u8]> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(bad(what, "a byte string")),
    }
}

/// A text string.
pub fn text<'a>(v: &'a Value, what: &str) -> CtapResult<&'a str> {
    match v {
        Value::Text(t) => Ok(t),
        _ => Err(bad(what, "a text string")),
    }
}

/// A boolean.
pub fn boolean(v: &Value, what: &str) -> CtapResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        _ => Err(bad(what, "a boolean")),
    }
}

/// An array.
pub fn array<'a>(v: &'a Value, what: &str) -> CtapResult<&'a [Value]> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(bad(what, "an array")),
    }
}

/// A map (borrowed entries).
pub fn map<'a>(v: &'a Value, what: &str) -> CtapResult<&'a [(Value, Value)]> {
    match v {
        Value::Map(m) => Ok(m),
        _ => Err(bad(what, "a map")),
    }
}

/// Integer value helper for building requests.
pub fn int_value(i: i64) -> Value {
    Value::Integer(Integer::from(i))
}

fn bad(what: &str, expected: &str) -> CtapError {
    CtapError::Cbor(format!("{what} is not {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_canonical() {
        let m = int_map(vec![
            (-3, Value::Null),
            (3, Value::Null),
            (-1, Value::Null),
            (1, Value::Null),
        ]);
        assert_eq!(hex::encode(encode(&m)), "a401f603f620f622f6");
        let t = text_map(vec![("type", Value::Null), ("id", Value::Null)]);
        assert_eq!(hex::encode(encode(&t)), "a2626964f66474797065f6");
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(decode(&[0xA1]).is_err());
        assert!(decode(&[0xFF]).is_err());
        assert!(decode(&[]).is_err());
        assert!(Map::from_value(Value::Null, "x").is_err());
        assert!(uint(&int_value(-1), "x").is_err());
    }
}
