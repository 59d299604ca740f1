//! TODO: the Microsoft Graph client (being written).
