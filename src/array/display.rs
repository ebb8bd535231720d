//! NumPy-style printing and `explain()`.

use super::Array;
use std::fmt;

impl fmt::Display for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}
