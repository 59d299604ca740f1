//! The tenant-wide prerequisites, read once per audit: the Apple MDM push certificate (iOS devices
//! are managed through it) and the managed Google Play connection (Android Enterprise devices are).
//!
//! Each is either read (the facts the rules need), not configured (Graph answered 404), or not read
//! (no permission, an offline source without it, an answer of an unexpected shape): the rules then
//! say `unknown`, and the summary says why and which permission would read it.

use chrono::{DateTime, Utc};

/// What the source knows of one tenant-wide object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantCheck<T> {
    /// Read: the facts as the source gave them.
    Read(T),
    /// Graph answered 404: the tenant has none configured.
    NotConfigured,
    /// Not read, and why (a sentence), with the permission that would read it when that is the reason.
    NotRead { why: String, permission: Option<&'static str> },
}

impl<T> Default for TenantCheck<T> {
    fn default() -> Self {
        TenantCheck::NotRead { why: "this source does not read tenant settings".to_owned(), permission: None }
    }
}

/// The Apple MDM push certificate (`applePushNotificationCertificate`, read without its body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplePushCertificate {
    /// `None` when the object had no readable `expirationDateTime`.
    pub expires: Option<DateTime<Utc>>,
    pub apple_identifier: Option<String>,
    pub topic_identifier: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
}

/// The managed Google Play binding (`androidManagedStoreAccountEnterpriseSettings`, read without
/// its enrollment tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedGooglePlay {
    /// `notBound`, `bound`, `boundAndValidated`, `unbinding`, or any value Graph sends.
    pub bind_status: Option<String>,
    pub last_app_sync: Option<DateTime<Utc>>,
    pub last_app_sync_status: Option<String>,
    pub owner_user_principal_name: Option<String>,
}

/// Both tenant checks' facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantFacts {
    pub apple_push: TenantCheck<ApplePushCertificate>,
    pub managed_google_play: TenantCheck<ManagedGooglePlay>,
}
