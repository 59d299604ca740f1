//! The bytes on the wire: query strings, percent-encoding, JSON writing and the Graph and Entra error
//! bodies. Kept apart from the endpoints so the hot path (a page of 1,000 devices written straight
//! into a byte buffer) and the exact error shapes of the wire spec live in one place.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// The `Content-Type` Graph sends with its JSON.
pub(super) const GRAPH_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
/// The `Content-Type` the sign-in endpoint sends.
pub(super) const LOGIN_JSON: &str = "application/json; charset=utf-8";

/// One request's identity: the `request-id` the server gives it and the `client-request-id` it echoes.
#[derive(Debug, Clone)]
pub(super) struct Ctx {
    pub request_id: String,
    pub client_request_id: String,
}

impl Ctx {
    /// A new request id; the client's `client-request-id` is echoed, else the request id stands in.
    pub fn new(client_request_id: Option<&str>) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = match client_request_id {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => request_id.clone(),
        };
        Ctx { request_id, client_request_id }
    }

    /// The same client request id with a fresh request id (an inner request of a `$batch`).
    pub fn inner(&self) -> Self {
        Ctx { request_id: uuid::Uuid::new_v4().to_string(), client_request_id: self.client_request_id.clone() }
    }
}

/// A response before it becomes HTTP (or an inner response of a `$batch`): the body is JSON text.
#[derive(Debug)]
pub(super) struct Out {
    pub status: StatusCode,
    /// Extra headers (`Retry-After`, `Allow`).
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// `true` for the sign-in endpoint (its own content type).
    pub login: bool,
}

impl Out {
    pub fn json(body: Vec<u8>) -> Self {
        Out { status: StatusCode::OK, headers: Vec::new(), body, login: false }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The HTTP response, with the `request-id` and `client-request-id` headers every response carries.
    pub fn into_response(self, ctx: &Ctx) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        let content_type = if self.login { LOGIN_JSON } else { GRAPH_JSON };
        headers.insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in [("request-id", &ctx.request_id), ("client-request-id", &ctx.client_request_id)]
            .into_iter()
            .chain(self.headers.iter().map(|(n, v)| (*n, v)))
        {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name_lower(name)), value);
            }
        }
        response
    }
}

/// Header names as `HeaderName::from_static` wants them (lower case); the few names used here.
fn name_lower(name: &'static str) -> &'static str {
    match name {
        "Retry-After" => "retry-after",
        "Allow" => "allow",
        "Content-Type" => "content-type",
        other => other,
    }
}

/// The date format of Graph's `innerError.date`.
pub(super) fn graph_date() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A Graph error: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
pub(super) fn graph_error(ctx: &Ctx, status: StatusCode, code: &str, message: &str) -> Out {
    let body = serde_json::json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": graph_date(),
                "request-id": ctx.request_id,
                "client-request-id": ctx.client_request_id,
            }
        }
    });
    Out { status, headers: Vec::new(), body: body.to_string().into_bytes(), login: false }
}

/// An Intune error: Graph's error whose `message` is Intune's own detail, a JSON document as text
/// (`_version`, `Message` with the Operation and Activity IDs and the service's URL, ...), as Intune's
/// remote actions answer. The Activity ID is the request id.
pub(super) fn intune_error(ctx: &Ctx, status: StatusCode, code: &str, message: &str, path: &str) -> Out {
    let nested = serde_json::json!({
        "_version": 3,
        "Message": format!(
            "{message} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: {} - Url: {path}",
            ctx.request_id
        ),
        "CustomApiErrorPhrase": "",
        "RetryAfter": null,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    });
    graph_error(ctx, status, code, &nested.to_string())
}

/// The 400 `BadRequest` error.
pub(super) fn bad_request(ctx: &Ctx, message: &str) -> Out {
    graph_error(ctx, StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The message of an expired or unreadable skip token (the wire spec's exact text).
pub(super) const SKIPTOKEN_MESSAGE: &str = "The skip token is either invalid or expired.";

/// An Entra ID (sign-in) error: `error`, `error_description` ending in the trace and correlation ids,
/// `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
pub(super) fn entra_error(ctx: &Ctx, status: StatusCode, error: &str, code: u32, description: &str) -> Out {
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = serde_json::json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {timestamp}",
            ctx.request_id, ctx.client_request_id
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": ctx.request_id,
        "correlation_id": ctx.client_request_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    Out { status, headers: Vec::new(), body: body.to_string().into_bytes(), login: true }
}

/// The OData options of a request (names with or without `$`, any case); others are ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Query {
    pub select: Option<String>,
    pub filter: Option<String>,
    pub top: Option<String>,
    pub skiptoken: Option<String>,
}

impl Query {
    /// Parses a raw query string with form decoding (`%XX` and `+` for a space). The first of a repeated
    /// option wins.
    pub fn parse(raw: Option<&str>) -> Query {
        let mut query = Query::default();
        let Some(raw) = raw else { return query };
        for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let bare = name.strip_prefix('$').unwrap_or(&name);
            let slot = if bare.eq_ignore_ascii_case("select") {
                &mut query.select
            } else if bare.eq_ignore_ascii_case("filter") {
                &mut query.filter
            } else if bare.eq_ignore_ascii_case("top") {
                &mut query.top
            } else if bare.eq_ignore_ascii_case("skiptoken") {
                &mut query.skiptoken
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        query
    }

    /// The query string of a next link: these options, canonically named and encoded, plus the token.
    pub fn next_query(&self, skiptoken: &str) -> String {
        let mut out = String::new();
        for (name, value) in [("$select", &self.select), ("$filter", &self.filter), ("$top", &self.top)] {
            if let Some(value) = value {
                out.push_str(name);
                out.push('=');
                out.push_str(&encode(value));
                out.push('&');
            }
        }
        out.push_str("$skiptoken=");
        out.push_str(&encode(skiptoken));
        out
    }
}

/// Percent-encodes everything but unreserved characters and the few OData keeps readable
/// (`$ , ' ( ) :`); a space becomes `%20`.
pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$,'():".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Decodes `%XX` in a path segment (a `+` stays a `+` in a path); invalid UTF-8 is replaced.
pub(super) fn decode_segment(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a path into decoded segments, ignoring empty ones (a trailing or doubled `/`).
pub(super) fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(decode_segment).collect()
}

/// Appends `text` as a JSON string.
pub(super) fn push_str(buf: &mut Vec<u8>, text: &str) {
    buf.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                buf.extend_from_slice(&bytes[start..i]);
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 15)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escape);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Appends `"name":` (the name must need no escaping).
pub(super) fn push_key(buf: &mut Vec<u8>, name: &str) {
    buf.push(b'"');
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
}

/// Appends an optional string: the JSON string or `null`.
pub(super) fn push_opt(buf: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => push_str(buf, text),
        None => buf.extend_from_slice(b"null"),
    }
}

/// Writes a collection page: `{"@odata.context":..,"value":[items],"@odata.nextLink":..}` (the link
/// only when there is a next page). `items` writes the comma-separated objects.
pub(super) fn collection(
    context: &str,
    capacity: usize,
    next_link: Option<&str>,
    items: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(capacity + 256);
    buf.extend_from_slice(b"{\"@odata.context\":");
    push_str(&mut buf, context);
    buf.extend_from_slice(b",\"value\":[");
    items(&mut buf);
    buf.push(b']');
    if let Some(link) = next_link {
        buf.extend_from_slice(b",\"@odata.nextLink\":");
        push_str(&mut buf, link);
    }
    buf.push(b'}');
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_round_trip() {
        for text in ["plain", "quote \" and \\ back", "line\nfeed\r\ttab", "\u{1}\u{1f} ctl", "ünïcødé 😀", ""] {
            let mut buf = Vec::new();
            push_str(&mut buf, text);
            let back: String = serde_json::from_slice(&buf).unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn query_decodes_percent_and_plus() {
        let q = Query::parse(Some("%24filter=operatingSystem%20eq%20%27iOS%27&$select=id,deviceName&top=5"));
        assert_eq!(q.filter.as_deref(), Some("operatingSystem eq 'iOS'"));
        assert_eq!(q.select.as_deref(), Some("id,deviceName"));
        assert_eq!(q.top.as_deref(), Some("5"));
        let q = Query::parse(Some("$filter=operatingSystem+eq+'Android'&$SkipToken=abc"));
        assert_eq!(q.filter.as_deref(), Some("operatingSystem eq 'Android'"));
        assert_eq!(q.skiptoken.as_deref(), Some("abc"));
        let again = Query::parse(Some(&q.next_query("xyz")));
        assert_eq!(again.filter, q.filter);
        assert_eq!(again.skiptoken.as_deref(), Some("xyz"));
    }

    #[test]
    fn segments_are_decoded() {
        assert_eq!(segments("/beta/%24batch/"), vec!["beta", "$batch"]);
        assert_eq!(segments("/a%2"), vec!["a%2"]);
        assert_eq!(segments("/a%zz%4"), vec!["a%zz%4"]);
        assert_eq!(encode("a b+c/'é'"), "a%20b%2Bc%2F'%C3%A9'");
    }
}
