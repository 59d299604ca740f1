//! The platforms of `managedDeviceOverview`'s `deviceOperatingSystemSummary`, and which of them a
//! device's `operatingSystem` falls in: the client counts the devices it read per platform with it
//! (to set them beside Graph's counter), and the simulated Graph builds its overview with it.
//!
//! Microsoft does not document which `operatingSystem` strings each counter counts; this mapping is
//! inferred (iPadOS is counted with iOS, every `Android…` value with Android) and kept in one place.

/// Each platform as reports name it, with the summary's property that counts it.
pub const OVERVIEW_PLATFORMS: &[(&str, &str)] = &[
    ("ios", "iosCount"),
    ("android", "androidCount"),
    ("windows", "windowsCount"),
    ("macOS", "macOSCount"),
    ("linux", "linuxCount"),
    ("chromeOS", "chromeOSCount"),
    ("windowsMobile", "windowsMobileCount"),
    ("unknown", "unknownCount"),
];

/// The platform of [`OVERVIEW_PLATFORMS`] that counts a device of this `operatingSystem` (trimmed,
/// case and spaces ignored); `unknown` for anything else.
pub fn overview_platform(operating_system: Option<&str>) -> &'static str {
    let os: String =
        operating_system.unwrap_or("").chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    if os == "ios" || os == "ipados" {
        "ios"
    } else if os.starts_with("android") {
        "android"
    } else if os == "macos" || os == "macosx" || os == "mac" {
        "macOS"
    } else if os.starts_with("windowsmobile") || os.starts_with("windowsphone") {
        "windowsMobile"
    } else if os.starts_with("windows") {
        "windows"
    } else if os.starts_with("linux") {
        "linux"
    } else if os.starts_with("chrome") {
        "chromeOS"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operating_systems_fall_in_the_summary_platforms() {
        let cases = [
            (Some("iOS"), "ios"),
            (Some(" iPadOS "), "ios"),
            (Some("AndroidForWork"), "android"),
            (Some("Windows"), "windows"),
            (Some("Windows Mobile"), "windowsMobile"),
            (Some("macOS"), "macOS"),
            (Some("Linux"), "linux"),
            (Some("ChromeOS"), "chromeOS"),
            (Some(""), "unknown"),
            (Some("weird-os"), "unknown"),
            (None, "unknown"),
        ];
        for (os, platform) in cases {
            assert_eq!(overview_platform(os), platform, "{os:?}");
            assert!(OVERVIEW_PLATFORMS.iter().any(|(name, _)| *name == platform));
        }
    }
}
