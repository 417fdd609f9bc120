//! The three frame shapes: request, response, event (docs/PROTOCOL.md "Frames").

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ErrorCode;

/// Request id chosen by the extension and echoed in the response.
pub type RequestId = u64;

/// `{ "id": 7, "method": "devices.list", "params": {} }`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Correlates the response with this request.
    pub id: RequestId,
    /// Method name, e.g. `hello`.
    pub method: String,
    /// Method parameters; absent means `{}`.
    #[serde(default = "empty_object")]
    pub params: Value,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// `{ "code": "unknown_method", "message": "…", …details }`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable symbolic code.
    pub code: ErrorCode,
    /// Human-readable English explanation (the popup shows its own translation).
    pub message: String,
    /// Extra, code-specific fields (e.g. `limit`, `retries`).
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl ErrorBody {
    /// An error with no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    /// Adds one detail field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }
}

/// `{ "id": 7, "result": … }` or `{ "id": 7|null, "error": {…} }`.
///
/// Exactly one of `result` and `error` is present; build it with [`Response::ok`]
/// or [`Response::err`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The request's id; `null` when the request could not be read far enough.
    pub id: Option<RequestId>,
    /// Success payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Failure payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl Response {
    /// A successful response.
    pub fn ok(id: RequestId, result: Value) -> Self {
        Response {
            id: Some(id),
            result: Some(result),
            error: None,
        }
    }

    /// A failed response.
    pub fn err(id: Option<RequestId>, error: ErrorBody) -> Self {
        Response {
            id,
            result: None,
            error: Some(error),
        }
    }
}

/// `{ "event": "devices.changed", "id": 7?, "data": … }`: something the host says
/// unasked, or progress of request `id` (e.g. "touch your key").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Event name.
    pub event: String,
    /// The request this event belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
    /// Event payload.
    #[serde(default)]
    pub data: Value,
}

/// Anything the host writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HostMessage {
    /// An event (has an `event` field).
    Event(Event),
    /// A response (has `result` or `error`).
    Response(Response),
}

impl Request {
    /// Reads one inbound frame: UTF-8, then JSON, then the request shape.
    ///
    /// On failure returns the error response to send; it carries the request id
    /// whenever the frame held a usable one, so the caller's promise still settles.
    pub fn parse(frame: &[u8]) -> Result<Request, Response> {
        let text = std::str::from_utf8(frame).map_err(|e| {
            Response::err(
                None,
                ErrorBody::new(
                    ErrorCode::InvalidUtf8,
                    format!(
                        "frame is not UTF-8 (bad byte at offset {})",
                        e.valid_up_to()
                    ),
                ),
            )
        })?;
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Response::err(
                None,
                ErrorBody::new(ErrorCode::InvalidJson, format!("frame is not JSON: {e}")),
            )
        })?;
        let id = value.get("id").and_then(Value::as_u64);
        serde_json::from_value::<Request>(value).map_err(|e| {
            Response::err(
                id,
                ErrorBody::new(
                    ErrorCode::InvalidRequest,
                    format!("not a request {{id, method, params}}: {e}"),
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code_of(r: &Response) -> ErrorCode {
        r.error.as_ref().map(|e| e.code).expect("an error response")
    }

    #[test]
    fn parses_a_request_with_and_without_params() {
        let r =
            Request::parse(br#"{"id":3,"method":"hello","params":{"protocol":1}}"#).expect("valid");
        assert_eq!(r.id, 3);
        assert_eq!(r.params, json!({"protocol":1}));
        let r = Request::parse(br#"{"id":4,"method":"devices.list"}"#).expect("valid");
        assert_eq!(r.params, json!({}));
    }

    #[test]
    fn classifies_bad_frames() {
        let r = Request::parse(b"\xff\xfe").expect_err("bad utf8");
        assert_eq!(code_of(&r), ErrorCode::InvalidUtf8);
        assert_eq!(r.id, None);
        let r = Request::parse(b"{\"id\":").expect_err("bad json");
        assert_eq!(code_of(&r), ErrorCode::InvalidJson);
        let r = Request::parse(br#"{"id":9,"method":12}"#).expect_err("bad shape");
        assert_eq!(code_of(&r), ErrorCode::InvalidRequest);
        assert_eq!(r.id, Some(9), "id is echoed when readable");
        let r = Request::parse(br#"{"id":"x","method":"hello"}"#).expect_err("bad id");
        assert_eq!(code_of(&r), ErrorCode::InvalidRequest);
        assert_eq!(r.id, None);
        let r = Request::parse(b"[1,2]").expect_err("not an object");
        assert_eq!(code_of(&r), ErrorCode::InvalidRequest);
    }

    #[test]
    fn response_and_event_shapes() {
        let ok = serde_json::to_value(Response::ok(1, json!({"a":1}))).expect("ser");
        assert_eq!(ok, json!({"id":1,"result":{"a":1}}));
        let err = serde_json::to_value(Response::err(
            None,
            ErrorBody::new(ErrorCode::FrameTooLarge, "too big").with("limit", 10),
        ))
        .expect("ser");
        assert_eq!(
            err,
            json!({"id":null,"error":{"code":"frame_too_large","message":"too big","limit":10}})
        );
        let parsed: HostMessage =
            serde_json::from_value(json!({"event":"devices.changed","data":{}})).expect("de");
        assert!(matches!(parsed, HostMessage::Event(_)));
        let parsed: HostMessage = serde_json::from_value(ok).expect("de");
        assert!(matches!(parsed, HostMessage::Response(_)));
    }
}
