//! TODO: the simulated Graph server (being written).
