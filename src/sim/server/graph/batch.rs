//! JSON batching, `POST /{version}/$batch`: up to [`BATCH_MAX`] relative GET requests in one envelope,
//! each routed and answered like a request of its own (counted, throttled, perhaps failed) and
//! returned with its status, headers and body.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use serde_json::Value;

use super::not_found;
use crate::sim::server::wire::{bad_request, graph_error, push_str, segments, Ctx, Out, Query};
use crate::sim::server::{route, Route, Shared};

/// At most this many requests in one `$batch`.
const BATCH_MAX: usize = 20;

impl Shared {
    /// `POST /{version}/$batch` of an authenticated client whose throttle window had room.
    pub(in crate::sim::server) fn batch(&self, ctx: &Ctx, client: &str, version: &str, body: &[u8]) -> Out {
        let Ok(envelope) = serde_json::from_slice::<Value>(body) else {
            return bad_request(ctx, "Invalid batch payload format: the body is not JSON.");
        };
        let Some(requests) = envelope.get("requests").and_then(Value::as_array) else {
            return bad_request(ctx, "Invalid batch payload format: 'requests' is missing.");
        };
        if requests.is_empty() {
            return bad_request(ctx, "Invalid batch payload format: 'requests' is empty.");
        }
        if requests.len() > BATCH_MAX {
            return bad_request(ctx, "Number of batch request steps exceeds the maximum of 20.");
        }
        let mut steps: Vec<(String, &str, &str)> = Vec::with_capacity(requests.len());
        for request in requests {
            let id = match request.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(Value::Number(id)) => id.to_string(),
                _ => return bad_request(ctx, "Invalid batch payload format: every request needs an 'id'."),
            };
            let (Some(method), Some(url)) =
                (request.get("method").and_then(Value::as_str), request.get("url").and_then(Value::as_str))
            else {
                return bad_request(ctx, "Invalid batch payload format: every request needs a 'method' and a 'url'.");
            };
            if steps.iter().any(|(seen, _, _)| *seen == id) {
                return bad_request(ctx, &format!("Invalid batch payload format: request id '{id}' is repeated."));
            }
            steps.push((id, method, url));
        }

        let mut buf = Vec::with_capacity(steps.len() * 4096);
        buf.extend_from_slice(b"{\"responses\":[");
        for (n, (id, method, url)) in steps.iter().enumerate() {
            self.stats.batch_items.fetch_add(1, Ordering::Relaxed);
            let inner = ctx.inner();
            let out = self.batch_step(&inner, client, version, method, url);
            if n > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"id\":");
            push_str(&mut buf, id);
            buf.extend_from_slice(format!(",\"status\":{},\"headers\":{{", out.status.as_u16()).as_bytes());
            buf.extend_from_slice(b"\"Content-Type\":\"application/json\"");
            for (name, value) in &out.headers {
                buf.push(b',');
                push_str(&mut buf, name);
                buf.push(b':');
                push_str(&mut buf, value);
            }
            buf.extend_from_slice(b"},\"body\":");
            buf.extend_from_slice(&out.body);
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}");
        Out::json(buf)
    }

    fn batch_step(&self, ctx: &Ctx, client: &str, version: &str, method: &str, url: &str) -> Out {
        let url = url.trim();
        if url.starts_with("http://") || url.starts_with("https://") {
            return bad_request(ctx, "Batch request URLs must be relative, such as '/me'.");
        }
        let (path, raw_query) = match url.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (url, None),
        };
        let full = format!("/{version}/{}", path.trim_start_matches('/'));
        match route(&segments(&full)) {
            Route::Graph(op) if method.eq_ignore_ascii_case("GET") => {
                self.graph(ctx, client, &op, &Query::parse(raw_query))
            }
            Route::Graph(_) => graph_error(
                ctx,
                StatusCode::METHOD_NOT_ALLOWED,
                "BadRequest",
                &format!("The HTTP method '{method}' is not allowed for this resource."),
            ),
            Route::Batch(_) => bad_request(ctx, "A batch request cannot contain another batch request."),
            // The client sends each notification on its own; the simulator does not run sends in a batch.
            Route::Send(_) => bad_request(ctx, "Notification sends are not simulated inside $batch."),
            Route::ExportJobs(_) | Route::ExportDownload(_) => {
                bad_request(ctx, "Report export jobs are not simulated inside a batch request.")
            }
            Route::Token(_) | Route::SimSends | Route::NotFound => not_found(ctx),
        }
    }
}
