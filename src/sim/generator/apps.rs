//! The detected apps the tenant knows (name, publisher, versions with their weights) and which devices
//! have them: each device's apps go into a device list per app version and platform, which becomes
//! one `detectedApp` per non-empty list at the end.

use std::borrow::Cow;

use rand::Rng;

use super::{guid, Generator};
use crate::sim::tenant::SimApp;
use crate::source::wire::GraphDetectedApp;

/// An app as detected apps list it; each version with its weight for random draws.
pub(super) struct AppDef {
    pub(super) name: &'static str,
    pub(super) publisher: &'static str,
    pub(super) versions: &'static [(&'static str, u32)],
}

/// Detected-app platforms (`detectedAppPlatformType`), indexed by [`Family::app_platform`](super::spec::Family::app_platform).
pub(super) const APP_PLATFORMS: [&str; 8] = [
    "ios",
    "androidWorkProfile",
    "androidDedicatedAndFullyManaged",
    "androidDeviceAdministrator",
    "androidOSP",
    "windows",
    "macOS",
    "unknown",
];

/// Indices into [`APPS`].
pub(super) mod app {
    pub const CP_IOS: usize = 0;
    pub const CP_IOS_ALT: usize = 1;
    pub const CP_ANDROID: usize = 2;
    pub const CP_ANDROID_ALT: usize = 3;
    pub const INTUNE: usize = 4;
    pub const GPS: usize = 5;
    pub const GPS_ALT: usize = 6;
    pub const CP_WINDOWS: usize = 7;
    pub const CP_MAC: usize = 8;
    pub const OUTLOOK: usize = 9;
    pub const TEAMS: usize = 10;
    pub const EDGE: usize = 11;
    pub const AUTHENTICATOR: usize = 12;
    pub const ONEDRIVE: usize = 13;
    pub const COPILOT: usize = 14;
    pub const WHATSAPP: usize = 15;
    pub const SLACK: usize = 16;
    pub const ZOOM: usize = 17;
    pub const METEO: usize = 18;
    pub const NOTES: usize = 19;
    pub const CHROME_ANDROID: usize = 20;
    pub const WEBVIEW: usize = 21;
    pub const PLAY_STORE: usize = 22;
    pub const MANAGED_HOME_SCREEN: usize = 23;
    pub const M365_APPS: usize = 24;
    pub const CHROME_DESKTOP: usize = 25;
    pub const SEVEN_ZIP: usize = 26;
    /// Company Portal as iOS devices report it.
    pub const CP_IOS_COMP: usize = 27;
    /// Near misses: look like a receiving app or Google Play services, match no default name.
    pub const GPS_DE: usize = 28;
    pub const CP_PREVIEW: usize = 29;
    pub const CP_IOS_FR: usize = 30;
}

const MICROSOFT: &str = "Microsoft Corporation";
const GOOGLE: &str = "Google LLC";

/// Android Company Portal versions: about 14% below 5.0.5291.0, one unparseable.
pub(super) const CP_ANDROID_VERSIONS: &[(&str, u32)] = &[
    ("5.0.6301.0", 300),
    ("5.0.6198.0", 250),
    ("5.0.6041.0", 150),
    ("5.0.5801.0", 100),
    ("5.0.5291.0", 30),
    ("5.0.5104.0", 60),
    ("5.0.4512.0", 80),
    ("5.0.x-beta", 5),
];
/// iOS Company Portal versions: about 3% below the minimum 5.2311.1 (users are asked to update at sign-in).
const CP_IOS_VERSIONS: &[(&str, u32)] =
    &[("5.2503.0", 30), ("5.2501.1", 25), ("5.2409.1", 20), ("5.2404.0", 15), ("5.2311.1", 7), ("5.2310.1", 3)];
/// Microsoft Intune app versions: about 15% below 2021.09.04.
const INTUNE_VERSIONS: &[(&str, u32)] = &[
    ("2024.11.01", 35),
    ("2024.06.03", 25),
    ("2023.10.02", 15),
    ("2022.05.01", 8),
    ("2021.09.04", 2),
    ("2021.08.02", 10),
    ("2020.11.03", 5),
];
const GPS_VERSIONS: &[(&str, u32)] = &[
    ("25.07.33 (190400-727829562)", 40),
    ("24.49.33 (190408-705604133)", 30),
    ("24.26.32 (190400-650348183)", 20),
    ("23.45.23 (190408-587558128)", 10),
];

pub(super) static APPS: [AppDef; 31] = [
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: CP_IOS_VERSIONS },
    AppDef { name: "Intune Company Portal", publisher: MICROSOFT, versions: CP_IOS_VERSIONS },
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: CP_ANDROID_VERSIONS },
    AppDef { name: "Intune Company Portal", publisher: MICROSOFT, versions: CP_ANDROID_VERSIONS },
    AppDef { name: "Microsoft Intune", publisher: MICROSOFT, versions: INTUNE_VERSIONS },
    AppDef { name: "Google Play services", publisher: GOOGLE, versions: GPS_VERSIONS },
    AppDef { name: "Google Play Services", publisher: GOOGLE, versions: GPS_VERSIONS },
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: &[("11.2.1002.0", 60), ("11.2.1158.0", 40)] },
    AppDef { name: "Company Portal", publisher: MICROSOFT, versions: &[("5.2408.1", 50), ("5.2501.0", 50)] },
    AppDef { name: "Microsoft Outlook", publisher: MICROSOFT, versions: &[("4.2445.1", 60), ("4.2432.0", 40)] },
    AppDef { name: "Microsoft Teams", publisher: MICROSOFT, versions: &[("7.3.1", 50), ("7.1.0", 30), ("6.22.2", 20)] },
    AppDef { name: "Microsoft Edge", publisher: MICROSOFT, versions: &[("133.0.3065.69", 70), ("131.0.2903.86", 30)] },
    AppDef { name: "Microsoft Authenticator", publisher: MICROSOFT, versions: &[("6.8.21", 70), ("6.8.14", 30)] },
    AppDef { name: "OneDrive", publisher: MICROSOFT, versions: &[("16.4.1", 100)] },
    AppDef { name: "Microsoft 365 Copilot", publisher: MICROSOFT, versions: &[("16.93", 60), ("16.90", 40)] },
    AppDef { name: "WhatsApp Messenger", publisher: "WhatsApp LLC", versions: &[("25.2.80", 100)] },
    AppDef { name: "Slack", publisher: "Slack Technologies, LLC", versions: &[("25.01.10", 100)] },
    AppDef {
        name: "Zoom Workplace",
        publisher: "Zoom Video Communications, Inc.",
        versions: &[("6.3.5", 70), ("6.2.11", 30)],
    },
    AppDef { name: "Météo-France", publisher: "Météo-France", versions: &[("6.9.2", 100)] },
    AppDef { name: "Notes, Lists & \"Tasks\"", publisher: "Contoso Apps", versions: &[("2.0", 100)] },
    AppDef { name: "Chrome", publisher: GOOGLE, versions: &[("133.0.6943.49", 60), ("132.0.6834.163", 40)] },
    AppDef { name: "Android System WebView", publisher: GOOGLE, versions: &[("133.0.6943.49", 100)] },
    AppDef { name: "Google Play Store", publisher: GOOGLE, versions: &[("44.6.24-31", 100)] },
    AppDef { name: "Managed Home Screen", publisher: MICROSOFT, versions: &[("5.0.0.1", 70), ("4.1.3", 30)] },
    AppDef {
        name: "Microsoft 365 Apps for enterprise - en-us",
        publisher: MICROSOFT,
        versions: &[("16.0.18324.20194", 70), ("16.0.17928.20392", 30)],
    },
    AppDef { name: "Google Chrome", publisher: GOOGLE, versions: &[("133.0.6943.60", 100)] },
    AppDef { name: "7-Zip 24.09 (x64)", publisher: "Igor Pavlov", versions: &[("24.09", 100)] },
    AppDef { name: "Comp Portal", publisher: MICROSOFT, versions: CP_IOS_VERSIONS },
    AppDef { name: "Google Play-Dienste", publisher: GOOGLE, versions: GPS_VERSIONS },
    AppDef { name: "Microsoft Intune Company Portal (Preview)", publisher: MICROSOFT, versions: CP_ANDROID_VERSIONS },
    AppDef { name: "Portail d’entreprise", publisher: MICROSOFT, versions: CP_IOS_VERSIONS },
];

impl Generator {
    /// Gives `device` version `version` (an index into the app's versions) of `app` on `platform`.
    pub(super) fn add_app(&mut self, app: usize, version: usize, platform: usize, device: u32) {
        let row = self.app_offsets[app] + version;
        self.buckets[row * APP_PLATFORMS.len() + platform].push(device);
    }

    /// Adds `app` in a version drawn by weight.
    pub(super) fn add_random_version(&mut self, app: usize, platform: usize, device: u32) {
        let versions = APPS[app].versions;
        let total: u32 = versions.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.random_range(0..total);
        let mut v = 0;
        while r >= versions[v].1 {
            r -= versions[v].1;
            v += 1;
        }
        self.add_app(app, v, platform, device);
    }

    /// Gives `device` `app` (in a version drawn by weight) `bp` times in 10,000.
    pub(super) fn maybe_app(&mut self, bp: u32, app: usize, platform: usize, device: u32) {
        if self.chance(bp) {
            self.add_random_version(app, platform, device);
        }
    }

    /// The detected apps: one per app version and platform that some device has.
    pub(super) fn apps(&mut self) -> Vec<SimApp> {
        let mut apps = Vec::new();
        let buckets = std::mem::take(&mut self.buckets);
        let mut buckets = buckets.into_iter();
        for def in &APPS {
            for (version, _) in def.versions {
                for platform in APP_PLATFORMS {
                    let mut devices = buckets.next().unwrap_or_default();
                    // A device can be given the same app twice (a catalogue case on top of the random
                    // draw); it has it once. Buckets fill in device order, so repeats are adjacent.
                    devices.dedup();
                    if devices.is_empty() {
                        continue;
                    }
                    apps.push(SimApp {
                        app: GraphDetectedApp {
                            id: Some(Cow::Owned(guid(&mut self.rng, None))),
                            display_name: Some(Cow::Borrowed(def.name)),
                            version: Some(Cow::Borrowed(version)),
                            publisher: Some(Cow::Borrowed(def.publisher)),
                            platform: Some(Cow::Borrowed(platform)),
                            device_count: Some(devices.len() as i64),
                            managed_devices: Vec::new(),
                        },
                        devices,
                    });
                }
            }
        }
        apps
    }
}
