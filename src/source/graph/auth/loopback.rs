//! The loopback listener of an interactive sign-in: where the browser brings Entra's reply back.
//!
//! It listens on 127.0.0.1 only (an ephemeral port unless one is asked for) and the redirect URI is
//! `http://localhost:PORT`, as Entra expects for a public client. It accepts exactly one reply: the
//! first request to `/` that carries `code`, `error` or `state`. That reply is checked against the
//! `state` the sign-in sent (a reply with another state is refused: it did not come from this
//! sign-in), answered with a page telling the person they can close the window, and the listener
//! closes. Other requests (a favicon) get a 404; requests after the reply get 410. The code never
//! appears in a page, a log or an error.

use std::collections::HashMap;
use std::future::IntoFuture as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::{oneshot, Notify};

use super::super::options::Secret;

/// How long the listener waits, after the reply, for its page to reach the browser.
const CLOSING_GRACE: Duration = Duration::from_secs(2);

/// A bound loopback listener.
pub(crate) struct Loopback {
    listener: tokio::net::TcpListener,
    port: u16,
}

/// What came back.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The authorization code (the state matched).
    Code(Secret),
    /// Entra (or the person) refused: its `error` and the first line of `error_description`.
    Refused { error: String, description: Option<String> },
    /// A reply whose `state` is not this sign-in's: refused.
    WrongState,
    /// A reply with the right state but neither a code nor an error.
    NoCode,
    /// Nothing came back in time.
    TimedOut,
}

impl Loopback {
    /// Binds 127.0.0.1:`port` (0 or `None`: an ephemeral port).
    pub async fn bind(port: Option<u16>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0))).await?;
        let port = listener.local_addr()?.port();
        Ok(Loopback { listener, port })
    }

    /// The redirect URI to send to Entra.
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Waits up to `timeout` for the one reply, answers it, and closes.
    pub async fn reply(self, expected_state: &str, timeout: Duration) -> Outcome {
        let (sender, receiver) = oneshot::channel();
        let slot = Arc::new(Slot { expected_state: expected_state.to_owned(), sender: Mutex::new(Some(sender)) });
        let app = axum::Router::new().fallback(answer).with_state(slot);
        let stop = Arc::new(Notify::new());
        let stopped = stop.clone();
        let server = tokio::spawn(
            axum::serve(self.listener, app)
                .with_graceful_shutdown(async move { stopped.notified().await })
                .into_future(),
        );
        let outcome = match tokio::time::timeout(timeout, receiver).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) | Err(_) => Outcome::TimedOut,
        };
        stop.notify_one();
        // Let the page reach the browser; a connection the browser keeps open does not hold us.
        let abort = server.abort_handle();
        if tokio::time::timeout(CLOSING_GRACE, server).await.is_err() {
            abort.abort();
        }
        outcome
    }
}

struct Slot {
    expected_state: String,
    /// Taken by the one reply.
    sender: Mutex<Option<oneshot::Sender<Outcome>>>,
}

async fn answer(State(slot): State<Arc<Slot>>, uri: Uri, RawQuery(query): RawQuery) -> Response {
    let mut fields: HashMap<String, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        fields.entry(name.into_owned()).or_insert_with(|| value.into_owned());
    }
    let is_reply = ["code", "error", "state"].iter().any(|name| fields.contains_key(*name));
    if uri.path() != "/" || !is_reply {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let Some(sender) = slot.sender.lock().ok().and_then(|mut sender| sender.take()) else {
        return (StatusCode::GONE, page("This sign-in is already finished.", "You can close this window."))
            .into_response();
    };
    let code = fields.remove("code");
    let outcome = match (fields.get("state"), code, fields.get("error")) {
        (Some(state), _, _) if state != &slot.expected_state => Outcome::WrongState,
        (None, _, _) => Outcome::WrongState,
        (_, _, Some(error)) => Outcome::Refused {
            error: one_line(error),
            description: fields.get("error_description").map(|d| one_line(d)).filter(|d| !d.is_empty()),
        },
        (_, Some(code), None) if !code.is_empty() => Outcome::Code(Secret::new(code)),
        _ => Outcome::NoCode,
    };
    let (status, title, text) = match &outcome {
        Outcome::Code(_) => {
            (StatusCode::OK, "Signed in to intune-reach.", "You can close this window and go back to the terminal.")
        }
        Outcome::WrongState => (
            StatusCode::BAD_REQUEST,
            "This reply does not belong to the sign-in intune-reach started.",
            "It was refused. You can close this window; run intune-reach again to sign in.",
        ),
        _ => (
            StatusCode::OK,
            "The sign-in did not complete.",
            "You can close this window; the terminal says what happened.",
        ),
    };
    let _ = sender.send(outcome);
    (status, page(title, text)).into_response()
}

/// The first line of an untrusted text, without control characters, at most 300 characters.
fn one_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A minimal page: fixed texts only, so nothing from the request is ever echoed.
fn page(title: &str, text: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>intune-reach</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn listener() -> (Loopback, String) {
        let loopback = Loopback::bind(None).await.unwrap();
        let base = format!("http://127.0.0.1:{}", loopback.port);
        (loopback, base)
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    #[tokio::test]
    async fn the_one_reply_with_the_right_state_gives_the_code_and_a_closing_page() {
        let (loopback, base) = listener().await;
        assert!(loopback.redirect_uri().starts_with("http://localhost:"));
        let waiting = tokio::spawn(async move { loopback.reply("st-1", Duration::from_secs(10)).await });
        let http = client();
        // Not a reply: the listener keeps waiting.
        assert_eq!(http.get(format!("{base}/favicon.ico")).send().await.unwrap().status(), 404);
        let page = http.get(format!("{base}/?code=the-code-123&state=st-1&session_state=x")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let text = page.text().await.unwrap();
        assert!(text.contains("You can close this window") && !text.contains("the-code-123"), "{text}");
        match waiting.await.unwrap() {
            Outcome::Code(code) => assert_eq!(code.expose(), "the-code-123"),
            other => panic!("expected the code, got {other:?}"),
        }
        // The listener is closed.
        assert!(http.get(format!("{base}/?code=again&state=st-1")).send().await.is_err());
    }

    #[tokio::test]
    async fn a_wrong_or_missing_state_is_refused() {
        for query in ["code=c&state=forged", "code=c"] {
            let (loopback, base) = listener().await;
            let waiting = tokio::spawn(async move { loopback.reply("st-1", Duration::from_secs(10)).await });
            let page = client().get(format!("{base}/?{query}")).send().await.unwrap();
            assert_eq!(page.status(), 400);
            assert!(matches!(waiting.await.unwrap(), Outcome::WrongState), "{query}");
        }
    }

    #[tokio::test]
    async fn an_error_reply_and_a_timeout_are_outcomes() {
        let (loopback, base) = listener().await;
        let waiting = tokio::spawn(async move { loopback.reply("s", Duration::from_secs(10)).await });
        let url = format!(
            "{base}/?error=access_denied&error_description=AADSTS65004%3A+User+declined.%0D%0ATrace+ID%3A+x&state=s"
        );
        client().get(url).send().await.unwrap();
        match waiting.await.unwrap() {
            Outcome::Refused { error, description } => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("AADSTS65004: User declined."));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let (loopback, _) = listener().await;
        assert!(matches!(loopback.reply("s", Duration::from_millis(50)).await, Outcome::TimedOut));
    }

    #[tokio::test]
    async fn a_chosen_port_is_used() {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let loopback = Loopback::bind(Some(port)).await.unwrap();
        assert_eq!(loopback.redirect_uri(), format!("http://localhost:{port}"));
    }
}
