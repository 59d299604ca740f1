//! A device as a source read it, before classification: the inputs that every source maps its own
//! vocabulary onto (Graph's field names and values), so that one device gets one platform, Android
//! mode and recipient whatever it was read from.
//!
//! A snapshot or Graph page gives these fields as they are; the admin center's export maps its
//! labels onto them first (an `OS` label `AndroidForWork` is `operatingSystem` `AndroidForWork`).

/// The classification inputs of one device, borrowed from the source's own data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceRecord<'a> {
    pub id: Option<&'a str>,
    pub device_name: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub user_principal_name: Option<&'a str>,
    pub user_display_name: Option<&'a str>,
    /// The enrolling user, where the source gives it (beta single-device reads, the `Devices` export).
    pub enrolled_by_user_principal_name: Option<&'a str>,
    pub operating_system: Option<&'a str>,
    pub os_version: Option<&'a str>,
    /// Beta `deviceType`.
    pub device_type: Option<&'a str>,
    pub device_enrollment_type: Option<&'a str>,
    pub management_agent: Option<&'a str>,
    pub management_state: Option<&'a str>,
    pub managed_device_owner_type: Option<&'a str>,
    /// Beta `ownerType`, used when `managedDeviceOwnerType` is absent.
    pub owner_type: Option<&'a str>,
    pub last_sync_date_time: Option<&'a str>,
    /// When the device enrolled (`enrolledDateTime`; the exports' enrollment date, as RFC 3339).
    pub enrolled_date_time: Option<&'a str>,
    /// Beta `hardwareInformation.isSharedDevice`; `None` when the source does not give it as a bool.
    pub is_shared_device: Option<bool>,
    /// The enrolling user's object id, where the source names the enrolling user by id rather than by
    /// UPN (the `Devices` report's `EnrolledByUser`).
    pub enrolled_by_user_id: Option<&'a str>,
}
