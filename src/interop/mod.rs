//! Conversions to and from other Rust array crates, each behind its own
//! optional feature.
//!
//! | feature | module | crate versions |
//! | --- | --- | --- |
//! | `ndarray` | [`ndarray`](self::ndarray) (when enabled) | ndarray 0.15, 0.16, 0.17 |
//!
//! Without those features this module is empty.

#[cfg(feature = "ndarray")]
pub mod ndarray;
