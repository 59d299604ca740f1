//! The custom notification sends: `POST /beta/deviceManagement/sendCustomNotificationToCompanyPortal`
//! (to groups) and `POST /beta/deviceManagement/managedDevices/{id}/sendCustomNotificationToCompanyPortal`
//! (to one device), answered 204 like Graph, and `GET /sim/sends`, the simulator's record of what it
//! accepted (tests compare it with what the client meant to send; Intune itself keeps no such record).
//!
//! Validation, the simulator's reading of Graph and the admin center: a JSON body with string
//! `notificationTitle` (1 to 50 characters) and `notificationBody` (1 to 500), counted in Unicode
//! scalar values; to groups, `groupsToNotify` with 1 to 25 ids of groups the tenant has; to a device,
//! a listed device (else 404) on iOS/iPadOS or Android (else 400, as Intune answers remote actions on
//! unsupported devices). Errors are Intune's: the detail nested as JSON text in `error.message`, with
//! an Activity ID.
//!
//! Faults of their own ([`SendFaults`]): a throttle (429 with `Retry-After`, as Intune's 200 writes
//! per 20 s), 503s, and one send accepted and recorded whose answer never comes (held until the server
//! stops), the case where a client that sends again delivers twice.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::faults::lock;
use super::super::wire::{intune_error, Ctx, Out};
use super::super::{SendFaults, Shared, Throttle};
use crate::inventory::classify::platform;
use crate::inventory::Platform;

/// At most this many characters of title and body, and groups per send, as Intune documents them.
const MAX_TITLE: usize = 50;
const MAX_BODY: usize = 500;
const MAX_GROUPS: usize = 25;

/// Who a send request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in super::super) enum SendTarget {
    Groups,
    Device(String),
}

/// One send the simulator accepted, as `GET /sim/sends` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimSend {
    /// `group` or `device`.
    pub kind: String,
    /// The group ids of a group send, or the one device id of a device send.
    pub targets: Vec<String>,
    pub title: String,
    pub body: String,
    pub request_id: String,
    pub client_request_id: String,
    /// `false` for the send whose answer never came.
    pub answered: bool,
}

impl SendFaults {
    /// Whether the faults are valid (the throttle's window, the error rate).
    pub(in super::super) fn check(&self) -> Result<(), crate::error::Error> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(crate::error::Error::Usage(format!(
                "invalid send error rate {}: expected 0..1",
                self.error_rate
            )));
        }
        self.throttle.as_ref().map(Throttle::check).transpose().map(|_| ())
    }
}

/// What a send request's body says, once checked.
struct Checked {
    title: String,
    body: String,
    groups: Vec<String>,
}

impl Shared {
    /// A send request of an authenticated client with the permission: throttled, perhaps failed, then
    /// checked, recorded and answered (or held, for the send whose answer never comes).
    pub(in super::super) async fn send(
        &self,
        ctx: &Ctx,
        client: &str,
        target: &SendTarget,
        path: &str,
        body: &[u8],
    ) -> Out {
        self.stats.send_requests.fetch_add(1, Ordering::Relaxed);
        if let Err(wait) = self.send_throttle.acquire(client) {
            return self.throttled(ctx, wait);
        }
        if self.send_dice.fails() {
            self.stats.unavailable.fetch_add(1, Ordering::Relaxed);
            let out =
                intune_error(ctx, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "Service unavailable", path);
            return self.maybe_retry_after(out, 0.2);
        }
        let checked = match self.check_send(ctx, target, path, body) {
            Ok(checked) => checked,
            Err(refused) => return refused,
        };
        let accepted = self.stats.sends.fetch_add(1, Ordering::Relaxed) + 1;
        let hangs = self.options.sends.hang_nth == Some(accepted);
        let (kind, targets) = match target {
            SendTarget::Groups => ("group", checked.groups),
            SendTarget::Device(id) => ("device", vec![id.clone()]),
        };
        lock(&self.sends).push(SimSend {
            kind: kind.to_owned(),
            targets,
            title: checked.title,
            body: checked.body,
            request_id: ctx.request_id.clone(),
            client_request_id: ctx.client_request_id.clone(),
            answered: !hangs,
        });
        if hangs {
            // Acted on, but the answer never comes: held until the server stops.
            let mut stop = self.stop.clone();
            let _ = stop.wait_for(|stopped| *stopped).await;
        }
        Out { status: StatusCode::NO_CONTENT, headers: Vec::new(), body: Vec::new(), login: false }
    }

    fn check_send(&self, ctx: &Ctx, target: &SendTarget, path: &str, body: &[u8]) -> Result<Checked, Out> {
        let bad = |message: &str| intune_error(ctx, StatusCode::BAD_REQUEST, "BadRequest", message, path);
        let json: Value = serde_json::from_slice(body).map_err(|_| bad("The request body is not valid JSON."))?;
        let text = |name: &str, max: usize| -> Result<String, Out> {
            let value = json.get(name).and_then(Value::as_str).ok_or_else(|| bad(&format!("{name} is required")))?;
            let length = value.chars().count();
            if length == 0 || length > max {
                return Err(bad(&format!("{name} must be 1 to {max} characters; it has {length}")));
            }
            Ok(value.to_owned())
        };
        let title = text("notificationTitle", MAX_TITLE)?;
        let body = text("notificationBody", MAX_BODY)?;
        let groups = match target {
            SendTarget::Groups => self.check_groups(&json).map_err(|message| bad(&message))?,
            SendTarget::Device(id) => {
                self.check_device(id).map_err(|(status, message)| {
                    let code = if status == StatusCode::NOT_FOUND { "ResourceNotFound" } else { "BadRequest" };
                    intune_error(ctx, status, code, &message, path)
                })?;
                Vec::new()
            }
        };
        Ok(Checked { title, body, groups })
    }

    fn check_groups(&self, json: &Value) -> Result<Vec<String>, String> {
        let groups: Vec<String> = match json.get("groupsToNotify").and_then(Value::as_array) {
            Some(ids) => ids
                .iter()
                .map(|id| id.as_str().map(str::to_owned).ok_or("groupsToNotify holds strings"))
                .collect::<Result<_, _>>()?,
            None => return Err("groupsToNotify is required".to_owned()),
        };
        if groups.is_empty() || groups.len() > MAX_GROUPS {
            return Err(format!("groupsToNotify must hold 1 to {MAX_GROUPS} group ids; it has {}", groups.len()));
        }
        let unknown: Vec<&str> = groups
            .iter()
            .map(String::as_str)
            .filter(|id| !self.index.tenant.groups.iter().any(|g| g.id == *id))
            .collect();
        if !unknown.is_empty() {
            return Err(format!("Group(s) not found: {}", unknown.join(", ")));
        }
        Ok(groups)
    }

    /// A listed device on a platform custom notifications support, or the status and message of the
    /// refusal.
    fn check_device(&self, id: &str) -> Result<(), (StatusCode, String)> {
        let devices = &self.index.devices;
        let found = devices.by_id.get(id).copied().filter(|&d| devices.visible[d as usize]);
        let Some(d) = found else {
            return Err((StatusCode::NOT_FOUND, format!("ManagedDevice {id} was not found")));
        };
        let os = self.index.tenant.devices[d as usize].operating_system.as_deref();
        if !matches!(platform(os), Platform::Ios | Platform::Android) {
            return Err((StatusCode::BAD_REQUEST, "An error has occurred".to_owned()));
        }
        Ok(())
    }

    /// `GET /sim/sends`: `{"value": [SimSend, ...]}` in the order accepted.
    pub(in super::super) fn sim_sends(&self) -> Out {
        let sends = lock(&self.sends).clone();
        Out::json(serde_json::json!({ "value": sends }).to_string().into_bytes())
    }
}
