//! The simulated tenant: a deterministic generator of a realistic Intune tenant ([`generator`]), its
//! model ([`tenant`]), and a Graph-shaped HTTP server on loopback ([`server`]) that the demo, the tests
//! and the benchmarks talk to through the real Graph client.

pub mod full_device;
pub mod generator;
mod names;
pub mod server;
pub mod tenant;
